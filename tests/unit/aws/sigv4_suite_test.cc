// AWS's own SigV4 test suite (tests/data/aws-signing-test-suite/v4, from aws-c-auth), driven by
// one loop over its case folders: each case is signed twice, once with the Authorization header
// and once as a presigned URL, and every stage (canonical request, string to sign, signature,
// signed request) is checked on its own so a failure says which stage went wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/aws/sigv4.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// The suite has 38 cases; fewer than this means the data was not copied or not found.
constexpr size_t kMinimumCases = 30;

fs::path SuiteDir() { return fs::path(SLUICE_TEST_DATA_DIR) / "aws-signing-test-suite" / "v4"; }

// One case folder, named for the test ("get-vanilla" runs as "get_vanilla").
struct SuiteCase {
  std::string name;
  fs::path dir;
};

// Names the case in failure messages instead of dumping its bytes.
void PrintTo(const SuiteCase& c, std::ostream* os) { *os << c.name; }

// Every folder of v4/ that holds a context.json, sorted so the test order is stable.
std::vector<SuiteCase> DiscoverCases() {
  std::vector<SuiteCase> cases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(SuiteDir(), ec)) {
    if (!entry.is_directory() || !fs::exists(entry.path() / "context.json")) continue;
    cases.push_back({entry.path().filename().string(), entry.path()});
  }
  std::sort(cases.begin(), cases.end(),
            [](const SuiteCase& a, const SuiteCase& b) { return a.name < b.name; });
  return cases;
}

std::string TestName(const testing::TestParamInfo<SuiteCase>& info) {
  std::string name = info.param.name;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

bool ReadFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

// The expected stages carry no trailing line break of their own (a canonical request ends with
// the payload hash); drop one an editor may have added.
std::string TrimTrailingNewlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// Parses a request as the suite writes it: "METHOD PATH[?QUERY] HTTP/1.1", then "Name:value"
// headers, where a line starting with whitespace continues the previous header's value (joined
// with a newline, as folded on the wire), then a blank line and the body. The path may hold raw
// spaces ("/example space/"), so the method and version are split off at the outer spaces.
testing::AssertionResult ParseRequest(std::string_view text, HttpRequest* out) {
  HttpRequest request;
  request.endpoint = "https://example.amazonaws.com";
  size_t line_end = text.find('\n');
  std::string_view request_line = text.substr(0, line_end);
  if (request_line.ends_with('\r')) request_line.remove_suffix(1);
  size_t first_space = request_line.find(' ');
  size_t last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || last_space == first_space) {
    return testing::AssertionFailure() << "bad request line: " << request_line;
  }
  request.method = std::string(request_line.substr(0, first_space));
  std::string_view target = request_line.substr(first_space + 1, last_space - first_space - 1);
  size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));

  size_t pos = line_end == std::string_view::npos ? text.size() : line_end + 1;
  while (pos < text.size()) {
    line_end = text.find('\n', pos);
    std::string_view line = text.substr(
        pos, line_end == std::string_view::npos ? std::string_view::npos : line_end - pos);
    pos = line_end == std::string_view::npos ? text.size() : line_end + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) {
      request.body = std::string(text.substr(pos));
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (request.headers.empty()) {
        return testing::AssertionFailure() << "continuation line before any header: " << line;
      }
      request.headers.back().value += '\n';
      request.headers.back().value += line;
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return testing::AssertionFailure() << "header line without ':': " << line;
    }
    request.headers.push_back(
        {std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
  }
  *out = std::move(request);
  return testing::AssertionSuccess();
}

// What one case folder asks for: the request, the credentials and the signing parameters.
struct LoadedCase {
  HttpRequest request;
  Credentials credentials;
  SigningParams params;
};

testing::AssertionResult LoadCase(const fs::path& dir, LoadedCase* out) {
  std::string context_text, request_text;
  if (!ReadFile(dir / "context.json", &context_text) ||
      !ReadFile(dir / "request.txt", &request_text)) {
    return testing::AssertionFailure() << "cannot read context.json or request.txt in " << dir;
  }
  auto context = nlohmann::json::parse(context_text, nullptr, /*allow_exceptions=*/false);
  if (context.is_discarded()) return testing::AssertionFailure() << "bad JSON in " << dir;

  LoadedCase loaded;
  const auto& credentials = context.at("credentials");
  loaded.credentials.access_key_id = credentials.at("access_key_id").get<std::string>();
  loaded.credentials.secret_access_key = credentials.at("secret_access_key").get<std::string>();
  loaded.credentials.session_token = credentials.value("token", std::string());

  auto time = ParseIso8601(context.at("timestamp").get<std::string>());
  if (!time) return testing::AssertionFailure() << "bad timestamp in " << dir;
  loaded.params = SigningParams::ForService(context.at("region").get<std::string>(),
                                            context.at("service").get<std::string>(), *time);
  loaded.params.normalize_path = context.value("normalize", true);
  loaded.params.double_uri_encode = true;
  loaded.params.add_content_sha256_header = context.value("sign_body", false);
  loaded.params.omit_session_token = context.value("omit_session_token", false);
  loaded.params.expires = std::chrono::seconds(context.value("expiration_in_seconds", 3600));

  auto parsed = ParseRequest(request_text, &loaded.request);
  if (!parsed) return parsed;
  *out = std::move(loaded);
  return testing::AssertionSuccess();
}

std::string Expected(const fs::path& dir, const std::string& file) {
  std::string text;
  EXPECT_TRUE(ReadFile(dir / file, &text)) << "cannot read " << (dir / file);
  return TrimTrailingNewlines(std::move(text));
}

std::string ToLower(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return text;
}

// Headers as a sorted list of (lower-case name, value): the order on the wire does not matter.
std::vector<std::pair<std::string, std::string>> HeaderSet(const HttpHeaders& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const HttpHeader& h : headers) out.emplace_back(ToLower(h.name), h.value);
  std::sort(out.begin(), out.end());
  return out;
}

// Query parameters as a sorted list: the suite's signed request orders them differently.
std::vector<std::string> QueryParams(std::string_view query) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    size_t end = amp == std::string_view::npos ? query.size() : amp;
    if (end > start) out.emplace_back(query.substr(start, end - start));
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

class SigV4SuiteTest : public testing::TestWithParam<SuiteCase> {};

TEST_P(SigV4SuiteTest, HeaderSigning) {
  const fs::path& dir = GetParam().dir;
  LoadedCase c;
  ASSERT_TRUE(LoadCase(dir, &c));

  SigV4Signer signer;
  auto result = signer.SignHeaders(c.request, c.credentials, c.params);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->canonical_request, Expected(dir, "header-canonical-request.txt"));
  EXPECT_EQ(result->string_to_sign, Expected(dir, "header-string-to-sign.txt"));
  EXPECT_EQ(result->signature, Expected(dir, "header-signature.txt"));

  HttpRequest expected;
  ASSERT_TRUE(ParseRequest(Expected(dir, "header-signed-request.txt"), &expected));
  const std::string* expected_authorization = FindHeader(expected.headers, "authorization");
  const std::string* authorization = FindHeader(c.request.headers, "authorization");
  ASSERT_NE(expected_authorization, nullptr);
  ASSERT_NE(authorization, nullptr);
  EXPECT_EQ(*authorization, *expected_authorization);
  // Every header of the signed request, including the ones added after signing (an unsigned
  // session token) and the original ones left untouched.
  EXPECT_EQ(HeaderSet(c.request.headers), HeaderSet(expected.headers));
}

TEST_P(SigV4SuiteTest, QuerySigning) {
  const fs::path& dir = GetParam().dir;
  LoadedCase c;
  ASSERT_TRUE(LoadCase(dir, &c));

  SigV4Signer signer;
  auto result = signer.Presign(c.request, c.credentials, c.params);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->canonical_request, Expected(dir, "query-canonical-request.txt"));
  EXPECT_EQ(result->string_to_sign, Expected(dir, "query-string-to-sign.txt"));
  std::string signature = Expected(dir, "query-signature.txt");
  EXPECT_EQ(result->signature, signature);
  EXPECT_NE(c.request.query.find("X-Amz-Signature=" + signature), std::string::npos)
      << c.request.query;

  HttpRequest expected;
  ASSERT_TRUE(ParseRequest(Expected(dir, "query-signed-request.txt"), &expected));
  EXPECT_EQ(c.request.path, expected.path);
  EXPECT_EQ(QueryParams(c.request.query), QueryParams(expected.query));
}

INSTANTIATE_TEST_SUITE_P(Suite, SigV4SuiteTest, testing::ValuesIn(DiscoverCases()), TestName);

TEST(SigV4SuiteDataTest, FindsTheCaseFolders) {
  EXPECT_GE(DiscoverCases().size(), kMinimumCases) << "no SigV4 suite under " << SuiteDir();
}

}  // namespace
}  // namespace sluice
