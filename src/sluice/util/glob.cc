#include "sluice/util/glob.h"

#include <cstdint>

// Matching works on the pattern text directly (the header keeps no compiled form), with the
// iterative two-level backtracking of wildmatch-style matchers: the last '*' and the last '**'
// remember where they started, and a mismatch first lets that '*' take one more character, then
// that '**'. Nothing recurses and nothing is exponential: "a*a*a*a*a*b" against a long run of
// 'a's costs O(pattern * path); the worst case, a '*' retried from every start of a '**', is
// O(pattern * path^2), about a millisecond for a 1 KiB S3 key.
//
// Why two saved positions are enough: between two '**', a '*' cannot cross '/', so each literal
// run after a '*' is best placed as far left as possible, and a run containing '/' has only one
// place it can go; hence only the last '*' ever needs to move. Likewise the earliest start after
// a '**' gives the earliest end, and an earlier end leaves the next '**' every choice a later
// one has ("**/" is only special after '/' or at the start, which keeps that true for it too).
//
// '?' and sets consume one UTF-8 character, not one byte, since S3 keys are UTF-8 and "?" in
// "report-?.csv" should match "report-é.csv". Bytes that are not valid UTF-8 count as one
// character each.

namespace sluice {
namespace {

constexpr size_t kNone = std::string_view::npos;

// Bytes that are not valid UTF-8 decode to 0xDC80..0xDCFF (as in Python's surrogateescape): a
// stray byte then equals only the same stray byte in a pattern, never a real character.
char32_t Decode(std::string_view s, size_t i, size_t* length) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  if (lead < 0x80) {
    *length = 1;
    return lead;
  }
  size_t n = 0;  // the sequence's length, from its lead byte; 0 for a stray continuation byte
  if ((lead & 0xE0) == 0xC0) {
    n = 2;
  } else if ((lead & 0xF0) == 0xE0) {
    n = 3;
  } else if ((lead & 0xF8) == 0xF0) {
    n = 4;
  }
  if (n != 0 && i + n <= s.size()) {
    char32_t c = lead & (0x7F >> n);
    bool ok = true;
    for (size_t k = 1; k < n && ok; ++k) {
      ok = (byte(i + k) & 0xC0) == 0x80;
      c = (c << 6) | (byte(i + k) & 0x3F);
    }
    // Overlong forms and surrogates are invalid, so each text has exactly one decoding.
    constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && c >= kMin[n] && c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF)) {
      *length = n;
      return c;
    }
  }
  *length = 1;
  return 0xDC00 | lead;
}

size_t CharLength(std::string_view s, size_t i) {
  size_t length;
  Decode(s, i, &length);
  return length;
}

// One member character of a set at `i` (after a backslash, the next character itself).
// kNone when the pattern ends first.
size_t ReadSetChar(std::string_view pattern, size_t i, char32_t* c) {
  if (pattern[i] == '\\') ++i;
  if (i >= pattern.size()) return kNone;
  size_t length;
  *c = Decode(pattern, i, &length);
  return i + length;
}

// Scans the set that opens at pattern[open] ('['). Returns the index just past its ']', or kNone
// when it is unterminated; when `c` is given, `*matched` says whether the set accepts it. A ']'
// right after "[" or "[!" is a member, as in POSIX.
size_t ScanSet(std::string_view pattern, size_t open, const char32_t* c, bool* matched) {
  size_t i = open + 1;
  bool negated = i < pattern.size() && pattern[i] == '!';
  if (negated) ++i;
  bool in_set = false;
  for (bool first = true;; first = false) {
    if (i >= pattern.size()) return kNone;
    if (pattern[i] == ']' && !first) break;
    char32_t low, high;
    i = ReadSetChar(pattern, i, &low);
    if (i == kNone) return kNone;
    high = low;
    // A '-' just before ']' is a member, not a range.
    if (i + 1 < pattern.size() && pattern[i] == '-' && pattern[i + 1] != ']') {
      i = ReadSetChar(pattern, i + 1, &high);
      if (i == kNone) return kNone;
    }
    if (c != nullptr && low <= *c && *c <= high) in_set = true;
  }
  if (matched != nullptr) *matched = in_set != negated;
  return i + 1;
}

// Matches the one non-star element at pattern[*pi] against path[*si]. On success advances both.
bool MatchOne(std::string_view pattern, size_t* pi, std::string_view path, size_t* si) {
  char p = pattern[*pi];
  if (p == '?' || p == '[') {
    // Like '*', neither crosses a segment boundary: "a?b" must not match "a/b".
    if (path[*si] == '/') return false;
    size_t length;
    char32_t c = Decode(path, *si, &length);
    size_t next = *pi + 1;
    if (p == '[') {
      bool matched = false;
      next = ScanSet(pattern, *pi, &c, &matched);
      if (!matched) return false;
    }
    *pi = next;
    *si += length;
    return true;
  }
  if (p == '\\') ++*pi;  // Parse guarantees a character follows
  if (pattern[*pi] != path[*si]) return false;
  ++*pi;
  ++*si;
  return true;
}

}  // namespace

Result<Glob> Glob::Parse(std::string_view pattern) {
  auto invalid = [&](const std::string& why) {
    return Error::InvalidArgument("invalid glob \"" + std::string(pattern) + "\": " + why);
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (i + 1 == pattern.size()) {
        return invalid("it ends with a backslash (write \\\\ for a literal backslash)");
      }
      ++i;
    } else if (pattern[i] == '[') {
      size_t end = ScanSet(pattern, i, nullptr, nullptr);
      if (end == kNone) {
        return invalid("a [set] is not closed with ] (write \\[ for a literal [)");
      }
      i = end - 1;
    }
  }
  bool basename_only = pattern.find('/') == std::string_view::npos;
  return Glob(std::string(pattern), basename_only);
}

bool Glob::Matches(std::string_view path) const {
  if (basename_only_) path.remove_prefix(path.rfind('/') + 1);  // npos + 1 == 0: no '/'
  std::string_view pattern = pattern_;

  // Where to resume after a mismatch: the pattern index just past the star, and the path index
  // where the star's current match ends. The '*' entry always belongs to a '*' after the '**'.
  size_t star_p = kNone, star_s = 0;
  size_t globstar_p = kNone, globstar_s = 0;
  bool globstar_segments = false;  // "**/": may only end at the start of a segment

  size_t p = 0, s = 0;
  while (p < pattern.size() || s < path.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      size_t run = pattern.find_first_not_of('*', p);
      if (run == kNone) run = pattern.size();
      if (run - p == 1) {
        star_p = run;
        star_s = s;
        p = run;
      } else {
        // Three or more stars mean the same as two. What came before this '**' is now fixed.
        globstar_segments =
            run < pattern.size() && pattern[run] == '/' && (p == 0 || pattern[p - 1] == '/');
        globstar_p = globstar_segments ? run + 1 : run;
        globstar_s = s;
        star_p = kNone;
        p = globstar_p;
      }
      continue;
    }
    if (p < pattern.size() && s < path.size() && MatchOne(pattern, &p, path, &s)) continue;

    if (star_p != kNone && star_s < path.size() && path[star_s] != '/') {
      star_s += CharLength(path, star_s);
      p = star_p;
      s = star_s;
      continue;
    }
    if (globstar_p != kNone && globstar_s < path.size()) {
      if (globstar_segments) {
        size_t slash = path.find('/', globstar_s);
        if (slash == kNone) return false;
        globstar_s = slash + 1;
      } else {
        globstar_s += CharLength(path, globstar_s);
      }
      star_p = kNone;
      p = globstar_p;
      s = globstar_s;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace sluice
