#include "sluice/util/glob.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace sluice {
namespace {

struct Case {
  const char* pattern;
  const char* path;
  bool matches;
};

void ExpectCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    auto glob = Glob::Parse(c.pattern);
    ASSERT_TRUE(glob.ok()) << c.pattern << ": " << glob.error().message;
    EXPECT_EQ(glob->Matches(c.path), c.matches)
        << "pattern \"" << c.pattern << "\" against \"" << c.path << "\"";
  }
}

TEST(GlobTest, LiteralsAndStar) {
  ExpectCases({
      {"a.csv", "a.csv", true},
      {"a.csv", "b.csv", false},
      {"a.csv", "a.csvx", false},
      {"", "", true},
      {"", "a", false},
      {"*", "", true},
      {"*", "anything.at.all", true},
      {"*.csv", "a.csv", true},
      {"*.csv", ".csv", true},
      {"*.csv", "a.csv.gz", false},
      {"a*", "a", true},
      {"a*b*c", "aXXbYYc", true},
      {"a*b*c", "aXXbYY", false},
      {"*a*", "bab", true},
      {"logs/*.gz", "logs/x.gz", true},
      {"logs/*.gz", "logs/a/x.gz", false},  // '*' stops at '/'
      {"logs/*", "logs/", true},
      {"*/x", "a/x", true},
      {"*/x", "a/b/x", false},
  });
}

TEST(GlobTest, DoubleStarCrossesSegments) {
  ExpectCases({
      {"logs/**/*.gz", "logs/x.gz", true},  // "**/" also matches nothing
      {"logs/**/*.gz", "logs/a/x.gz", true},
      {"logs/**/*.gz", "logs/a/b/c/x.gz", true},
      {"logs/**/*.gz", "logs/a/b/c/x.gzip", false},
      {"logs/**/*.gz", "other/logs/x.gz", false},
      {"logs/**", "logs/a/b", true},
      {"logs/**", "logs/", true},
      {"logs/**", "logs", false},
      {"**/x", "x", true},
      {"**/x", "a/b/x", true},
      {"**/x", "a/bx", false},  // "**/" ends at a segment boundary
      {"**", "a/b/c", true},
      {"***", "a/b/c", true},  // more stars mean the same as two
      {"a/**/b/**/c", "a/b/c", true},
      {"a/**/b/**/c", "a/x/b/y/z/c", true},
      {"a/**/b/**/c", "a/x/c", false},
      {"x/a**z", "x/a/b/z", true},  // not next to '/': any run, '/' included
      {"a/**z", "a/b/cz", true},
      {"a/**/", "a/b/", true},
      {"a/**/**/b", "a/b", true},
      {"a/**/**/b", "a/x/y/b", true},
      {"**/a*b", "x/aab", true},
      {"**/a*b", "x/a/b", false},
      {"x/**a*b", "x/a/ab", true},  // the '*' cannot take "/a", so the '**' takes "a/"
  });
}

TEST(GlobTest, QuestionMarkSetsAndRanges) {
  ExpectCases({
      {"?.csv", "a.csv", true},
      {"?.csv", "ab.csv", false},
      {"?.csv", ".csv", false},
      {"a?b", "a/b", false},                        // '?' stops at '/' too
      {"report-?.csv", "report-\u00e9.csv", true},  // one character, two bytes
      {"report-??.csv", "report-\u00e9.csv", false},
      {"[abc].txt", "b.txt", true},
      {"[abc].txt", "d.txt", false},
      {"[a-z][0-9]", "q7", true},
      {"[a-z][0-9]", "Q7", false},
      {"[!a-z]x", "Qx", true},
      {"[!a-z]x", "qx", false},
      {"[!a]", "", false},
      {"a[!x]b", "a/b", false},  // sets never match '/'
      {"[]]", "]", true},        // ']' first is a member
      {"[!]]", "a", true},
      {"[!]]", "]", false},
      {"[a-]", "-", true},  // '-' last is a member
      {"[-a]", "-", true},
      {"[\\]x]", "]", true},
      {"[\\-a]", "-", true},
      {"[\u00e0-\u00ff]", "\u00e9", true},  // ranges of characters, not bytes
      {"[\u00e0-\u00ff]", "e", false},
      {"[*?]", "*", true},
      {"[*?]", "x", false},
  });
}

TEST(GlobTest, Escapes) {
  ExpectCases({
      {"\\*.csv", "*.csv", true},
      {"\\*.csv", "a.csv", false},
      {"a\\?", "a?", true},
      {"a\\?", "ab", false},
      {"\\[x]", "[x]", true},
      {"\\\\", "\\", true},
      {"\\a", "a", true},
  });
}

TEST(GlobTest, PatternsWithoutSlashMatchTheLastSegment) {
  ExpectCases({
      {"*.csv", "uploads/u1/a.csv", true},
      {"a.csv", "uploads/u1/a.csv", true},
      {"u1", "uploads/u1/a.csv", false},
      {"*.csv", "uploads/u1.csv/a.txt", false},
      {"*", "uploads/u1/", true},  // the last segment of a "folder" key is empty
      {"uploads/*.csv", "uploads/u1/a.csv", false},
      {"uploads/*/*.csv", "uploads/u1/a.csv", true},
      {"uploads/**/*.csv", "uploads/u1/a.csv", true},
      {"uploads/**", "uploads/u1/a.csv", true},
      {"uploads/**", "other/uploads/a.csv", false},
  });
}

TEST(GlobTest, PathologicalPatternsStayFast) {
  // A backtracking matcher that recurses per star takes exponential time on these.
  std::string many_a(10'000, 'a');
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(Glob::Parse("a*a*a*a*a*b")->Matches(many_a));
  EXPECT_TRUE(Glob::Parse("a*a*a*a*a*")->Matches(many_a));
  EXPECT_FALSE(Glob::Parse("**a**a**a**a**a**b")->Matches(many_a));
  EXPECT_FALSE(Glob::Parse("**/a*a*a*a*a*b")->Matches(many_a + "/" + many_a));
  std::string nested;
  for (int i = 0; i < 500; ++i) nested += "a/";
  EXPECT_FALSE(Glob::Parse("**/a/**/a/**/a/**/b")->Matches(nested));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(GlobTest, ParseRejectsUnterminatedSetsAndTrailingBackslash) {
  for (const char* bad : {"[abc", "a[", "[", "[]", "[!]", "[a-", "[\\]", "abc\\", "\\", "[a]\\"}) {
    auto glob = Glob::Parse(bad);
    ASSERT_FALSE(glob.ok()) << bad;
    EXPECT_EQ(glob.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(glob.error().message.find(bad), std::string::npos) << glob.error().message;
  }
}

// A deliberately naive matcher over the same rules, tried on every split: slow, but plainly
// right, so random patterns check the backtracking shortcuts of the real one.
class NaiveGlob {
 public:
  explicit NaiveGlob(std::string_view pattern) : basename_only_(pattern.find('/') == npos) {
    for (size_t i = 0; i < pattern.size();) {
      if (pattern[i] == '*') {
        size_t end = pattern.find_first_not_of('*', i);
        if (end == npos) end = pattern.size();
        if (end - i == 1) {
          tokens_.push_back({kStar});
        } else if (end < pattern.size() && pattern[end] == '/' &&
                   (i == 0 || pattern[i - 1] == '/')) {
          tokens_.push_back({kSegmentsStar});
          ++end;
        } else {
          tokens_.push_back({kAnyStar});
        }
        i = end;
      } else if (pattern[i] == '?') {
        tokens_.push_back({kOne});
        ++i;
      } else if (pattern[i] == '[') {  // only "[xy]" and "[!x]" forms, without ranges
        size_t close = pattern.find(']', i + 2);
        tokens_.push_back({kSet, std::string(pattern.substr(i + 1, close - i - 1))});
        i = close + 1;
      } else {
        if (pattern[i] == '\\') ++i;
        tokens_.push_back({kLiteral, std::string(1, pattern[i])});
        ++i;
      }
    }
  }

  bool Matches(std::string_view path) const {
    if (basename_only_ && path.find('/') != npos) path = path.substr(path.rfind('/') + 1);
    return MatchFrom(0, path);
  }

 private:
  static constexpr size_t npos = std::string_view::npos;
  enum Kind { kLiteral, kOne, kSet, kStar, kAnyStar, kSegmentsStar };
  struct Token {
    Kind kind;
    std::string text;
  };

  bool MatchFrom(size_t t, std::string_view rest) const {
    if (t == tokens_.size()) return rest.empty();
    const Token& token = tokens_[t];
    switch (token.kind) {
      case kStar:
      case kAnyStar:
      case kSegmentsStar:
        for (size_t k = 0; k <= rest.size(); ++k) {
          if (k > 0 && token.kind == kStar && rest[k - 1] == '/') break;
          if (k > 0 && token.kind == kSegmentsStar && rest[k - 1] != '/') continue;
          if (MatchFrom(t + 1, rest.substr(k))) return true;
        }
        return false;
      case kOne:
      case kSet: {
        if (rest.empty() || rest[0] == '/') return false;
        if (token.kind == kSet) {
          bool negated = token.text[0] == '!';
          bool member = token.text.find(rest[0], negated ? 1 : 0) != npos;
          if (member == negated) return false;
        }
        return MatchFrom(t + 1, rest.substr(1));
      }
      case kLiteral:
        return !rest.empty() && rest[0] == token.text[0] && MatchFrom(t + 1, rest.substr(1));
    }
    return false;
  }

  bool basename_only_;
  std::vector<Token> tokens_;
};

TEST(GlobTest, AgreesWithANaiveMatcherOnRandomPatterns) {
  const std::vector<std::string> pieces = {"a", "b",    "/",    "*",    "**",
                                           "?", "/**/", "[ab]", "[!a]", "\\*"};
  const std::string path_chars = "ab/*";
  std::mt19937 random(12345);  // fixed, so a failure reproduces
  for (int i = 0; i < 200'000; ++i) {
    std::string pattern;
    for (int n = std::uniform_int_distribution(0, 8)(random); n > 0; --n) {
      pattern += pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(random)];
    }
    std::string path;
    for (int n = std::uniform_int_distribution(0, 10)(random); n > 0; --n) {
      path += path_chars[std::uniform_int_distribution<size_t>(0, path_chars.size() - 1)(random)];
    }
    auto glob = Glob::Parse(pattern);
    ASSERT_TRUE(glob.ok()) << pattern;
    ASSERT_EQ(glob->Matches(path), NaiveGlob(pattern).Matches(path))
        << "pattern \"" << pattern << "\" against \"" << path << "\"";
  }
}

}  // namespace
}  // namespace sluice
