// SigV4 beyond AWS's suite (see sigv4_suite_test.cc): S3's own rules (the wire path signed as it
// is, x-amz-content-sha256, UNSIGNED-PAYLOAD for streamed bodies), session tokens, the errors,
// the derived-key cache, and byte-for-byte agreement with botocore on an S3 presigned URL, an S3
// GET and an ECS JSON POST.
#include "sluice/aws/sigv4.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "sluice/util/time_format.h"
#include "sluice/util/uri.h"

namespace sluice {
namespace {

using std::chrono::hours;

constexpr std::string_view kAccessKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kToken = "IQoJb3JpZ2luX2VjEXAMPLE//token+with/slashes==";
constexpr std::string_view kS3Host = "examplebucket.s3.us-east-1.amazonaws.com";

SystemTime At(std::string_view iso8601) {
  auto time = ParseIso8601(iso8601);
  EXPECT_TRUE(time.has_value()) << iso8601;
  return time.value_or(SystemTime{});
}

SystemTime Now() { return At("2026-11-23T12:34:56Z"); }

Credentials Keys(std::string_view token = {}) {
  Credentials c;
  c.access_key_id = std::string(kAccessKey);
  c.secret_access_key = std::string(kSecret);
  c.session_token = std::string(token);
  return c;
}

HttpRequest S3Get(std::string path) {
  HttpRequest request;
  request.method = "GET";
  request.endpoint = "https://" + std::string(kS3Host);
  request.path = std::move(path);
  request.headers = {{"Host", std::string(kS3Host)}};
  return request;
}

// The canonical request's lines: method, path, query, then the headers.
std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = text.find('\n', start);
    out.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::string CanonicalPathOf(const SigningResult& result) {
  return Lines(result.canonical_request).at(1);
}

size_t CountHeaders(const HttpHeaders& headers, std::string_view name) {
  size_t n = 0;
  for (const HttpHeader& h : headers) {
    std::string lower = h.name;
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (lower == name) ++n;
  }
  return n;
}

// --- S3: the wire path as it is ---

TEST(SigV4S3Test, ForS3SignsTheWirePathExactly) {
  // Keys encoded once, as S3Client puts them on the wire: nothing may be normalised away or
  // encoded a second time, or S3 answers SignatureDoesNotMatch.
  const std::vector<std::string> keys = {
      "plain.txt",
      "with space.txt",
      "plus+sign.txt",
      "tilde~name",
      "star*name",
      "equals=name",
      "caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80.txt",  // é, €, an emoji
      "double//slash",
      "//leading",
      "dot/../dot",
      "./here",
      "trailing/",
      "literal%20percent",
      "query?and#hash&amp;",
  };
  SigV4Signer signer;
  for (const std::string& key : keys) {
    SCOPED_TRACE(key);
    std::string wire_path = "/bucket/" + UriEncode(key, /*keep_slash=*/true);
    HttpRequest request = S3Get(wire_path);
    auto result = signer.SignHeaders(request, Keys(), SigningParams::ForS3("us-east-1", Now()));
    ASSERT_TRUE(result.ok()) << result.error().ToString();
    EXPECT_EQ(CanonicalPathOf(*result), wire_path);
    EXPECT_EQ(request.path, wire_path);  // the request itself is not rewritten either

    HttpRequest presigned = S3Get(wire_path);
    SigningParams params = SigningParams::ForS3("us-east-1", Now());
    params.payload_hash = std::string(kUnsignedPayload);
    auto presign = signer.Presign(presigned, Keys(), params);
    ASSERT_TRUE(presign.ok()) << presign.error().ToString();
    EXPECT_EQ(CanonicalPathOf(*presign), wire_path);
  }
}

TEST(SigV4S3Test, EncodedKeysAreNotEncodedTwice) {
  SigV4Signer signer;
  HttpRequest request = S3Get("/bucket/a%20b/c%2Bd~e");
  auto result = signer.SignHeaders(request, Keys(), SigningParams::ForS3("us-east-1", Now()));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(CanonicalPathOf(*result), "/bucket/a%20b/c%2Bd~e");
}

TEST(SigV4Test, OtherServicesNormaliseAndDoubleEncode) {
  SigV4Signer signer;
  struct Case {
    std::string wire_path;
    std::string canonical_path;
  };
  const std::vector<Case> cases = {
      {"/", "/"},
      {"", "/"},
      {"/a//b/./c/../d", "/a/b/d"},
      {"/a%20b/", "/a%2520b/"},
      {"/x/%E1%88%B4", "/x/%25E1%2588%25B4"},
      {"/a/b/..", "/a"},
      {"//", "/"},
      {"/2015-03-31/functions/arn%3Aaws%3Alambda/invocations",
       "/2015-03-31/functions/arn%253Aaws%253Alambda/invocations"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.wire_path);
    HttpRequest request;
    request.path = c.wire_path;
    request.headers = {{"Host", "ecs.us-east-1.amazonaws.com"}};
    auto result =
        signer.SignHeaders(request, Keys(), SigningParams::ForService("us-east-1", "ecs", Now()));
    ASSERT_TRUE(result.ok()) << result.error().ToString();
    EXPECT_EQ(CanonicalPathOf(*result), c.canonical_path);
  }
}

TEST(SigV4S3Test, SameWirePathSignsDifferentlyForS3AndOtherServices) {
  SigV4Signer signer;
  HttpRequest s3 = S3Get("/bucket/a%20b//c");
  HttpRequest other = S3Get("/bucket/a%20b//c");
  SigningParams s3_params = SigningParams::ForS3("us-east-1", Now());
  SigningParams other_params = SigningParams::ForService("us-east-1", "s3", Now());
  auto a = signer.SignHeaders(s3, Keys(), s3_params);
  auto b = signer.SignHeaders(other, Keys(), other_params);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(CanonicalPathOf(*a), "/bucket/a%20b//c");
  EXPECT_EQ(CanonicalPathOf(*b), "/bucket/a%2520b/c");
}

// --- S3: x-amz-content-sha256 ---

TEST(SigV4S3Test, AddsAndSignsContentSha256) {
  SigV4Signer signer;
  HttpRequest get = S3Get("/bucket/key");
  auto result = signer.SignHeaders(get, Keys(), SigningParams::ForS3("us-east-1", Now()));
  ASSERT_TRUE(result.ok());
  ASSERT_NE(FindHeader(get.headers, "x-amz-content-sha256"), nullptr);
  EXPECT_EQ(*FindHeader(get.headers, "x-amz-content-sha256"), kEmptySha256);
  EXPECT_EQ(result->signed_headers, "host;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(Lines(result->canonical_request).at(4),
            "x-amz-content-sha256:" + std::string(kEmptySha256));
  EXPECT_EQ(Lines(result->canonical_request).back(), kEmptySha256);

  HttpRequest put = S3Get("/bucket/key");
  put.method = "PUT";
  put.body = "hello";
  result = signer.SignHeaders(put, Keys(), SigningParams::ForS3("us-east-1", Now()));
  ASSERT_TRUE(result.ok());
  const std::string hello_sha256 =
      "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  EXPECT_EQ(*FindHeader(put.headers, "x-amz-content-sha256"), hello_sha256);
  EXPECT_EQ(Lines(result->canonical_request).back(), hello_sha256);
  EXPECT_EQ(CountHeaders(put.headers, "x-amz-content-sha256"), 1u);
}

TEST(SigV4S3Test, StreamedBodySignsUnsignedPayload) {
  SigV4Signer signer;
  HttpRequest put = S3Get("/bucket/big.bin");
  put.method = "PUT";
  put.body_source = CallbackBody(
      1 << 20, [](char*, size_t) -> Result<size_t> { return size_t{0}; },
      [] { return Status::Ok(); });
  SigningParams params = SigningParams::ForS3("us-east-1", Now());
  params.payload_hash = std::string(kUnsignedPayload);
  auto result = signer.SignHeaders(put, Keys(), params);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  ASSERT_NE(FindHeader(put.headers, "x-amz-content-sha256"), nullptr);
  EXPECT_EQ(*FindHeader(put.headers, "x-amz-content-sha256"), kUnsignedPayload);
  EXPECT_EQ(result->signed_headers, "host;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(Lines(result->canonical_request).at(4), "x-amz-content-sha256:UNSIGNED-PAYLOAD");
  EXPECT_EQ(Lines(result->canonical_request).back(), kUnsignedPayload);
}

TEST(SigV4Test, StreamedBodyWithoutPayloadHashIsAnError) {
  SigV4Signer signer;
  HttpRequest put = S3Get("/bucket/big.bin");
  put.method = "PUT";
  put.body_source = CallbackBody(
      10, [](char*, size_t) -> Result<size_t> { return size_t{0}; }, [] { return Status::Ok(); });
  auto result = signer.SignHeaders(put, Keys(), SigningParams::ForS3("us-east-1", Now()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(FindHeader(put.headers, "authorization"), nullptr);
}

// --- Tokens, errors, re-signing ---

TEST(SigV4Test, SignsTheSessionToken) {
  SigV4Signer signer;
  HttpRequest request = S3Get("/bucket/key");
  request.headers.push_back({"X-Amz-Security-Token", "stale-token-from-a-previous-attempt"});
  auto result = signer.SignHeaders(request, Keys(kToken), SigningParams::ForS3("us-east-1", Now()));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(CountHeaders(request.headers, "x-amz-security-token"), 1u);
  EXPECT_EQ(*FindHeader(request.headers, "x-amz-security-token"), kToken);
  EXPECT_EQ(result->signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_NE(result->canonical_request.find("\nx-amz-security-token:" + std::string(kToken) + "\n"),
            std::string::npos);
}

TEST(SigV4Test, OmittedSessionTokenIsSentButNotSigned) {
  SigV4Signer signer;
  HttpRequest request = S3Get("/");
  SigningParams params = SigningParams::ForService("us-east-1", "sts", Now());
  params.omit_session_token = true;
  auto result = signer.SignHeaders(request, Keys(kToken), params);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->signed_headers, "host;x-amz-date");
  ASSERT_NE(FindHeader(request.headers, "x-amz-security-token"), nullptr);
  EXPECT_EQ(*FindHeader(request.headers, "x-amz-security-token"), kToken);
}

TEST(SigV4Test, PresignCarriesTheSessionToken) {
  SigV4Signer signer;
  HttpRequest request = S3Get("/bucket/key");
  SigningParams params = SigningParams::ForS3("us-east-1", Now());
  params.payload_hash = std::string(kUnsignedPayload);
  auto result = signer.Presign(request, Keys(kToken), params);
  ASSERT_TRUE(result.ok());
  const std::string encoded = "X-Amz-Security-Token=" + UriEncode(kToken);
  EXPECT_NE(request.query.find(encoded), std::string::npos) << request.query;
  EXPECT_NE(result->canonical_request.find(encoded), std::string::npos);
}

TEST(SigV4Test, MissingHostIsAnError) {
  SigV4Signer signer;
  HttpRequest request = S3Get("/bucket/key");
  request.headers.clear();
  request.headers.push_back({"Content-Type", "text/plain"});
  auto signed_headers =
      signer.SignHeaders(request, Keys(), SigningParams::ForS3("us-east-1", Now()));
  ASSERT_FALSE(signed_headers.ok());
  EXPECT_EQ(signed_headers.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(FindHeader(request.headers, "authorization"), nullptr);

  HttpRequest presign = S3Get("/bucket/key");
  presign.headers.clear();
  SigningParams params = SigningParams::ForS3("us-east-1", Now());
  params.payload_hash = std::string(kUnsignedPayload);
  auto presigned = signer.Presign(presign, Keys(), params);
  ASSERT_FALSE(presigned.ok());
  EXPECT_EQ(presigned.error().kind, ErrorKind::kInvalidArgument);
}

TEST(SigV4Test, EmptyCredentialsAreAnError) {
  SigV4Signer signer;
  HttpRequest request = S3Get("/bucket/key");
  Credentials no_secret = Keys();
  no_secret.secret_access_key.clear();
  auto result = signer.SignHeaders(request, no_secret, SigningParams::ForS3("us-east-1", Now()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kCredentials);
}

TEST(SigV4Test, PresignRejectsExpiryOutsideOneSecondToSevenDays) {
  SigV4Signer signer;
  SigningParams params = SigningParams::ForS3("us-east-1", Now());
  params.payload_hash = std::string(kUnsignedPayload);
  for (auto expires : {std::chrono::seconds(0), std::chrono::seconds(7 * 24 * 3600 + 1)}) {
    HttpRequest request = S3Get("/bucket/key");
    params.expires = expires;
    auto result = signer.Presign(request, Keys(), params);
    ASSERT_FALSE(result.ok()) << expires.count();
    EXPECT_EQ(result.error().kind, ErrorKind::kInvalidArgument);
  }
}

TEST(SigV4Test, ResigningReplacesDateAndAuthorization) {
  // A retry signs the same request again, later: one X-Amz-Date, one Authorization, and the same
  // result as signing a fresh copy.
  SigV4Signer signer;
  HttpRequest request = S3Get("/bucket/key");
  ASSERT_TRUE(
      signer.SignHeaders(request, Keys(kToken), SigningParams::ForS3("us-east-1", Now())).ok());
  SigningParams later = SigningParams::ForS3("us-east-1", Now() + std::chrono::minutes(5));
  auto again = signer.SignHeaders(request, Keys(kToken), later);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(CountHeaders(request.headers, "authorization"), 1u);
  EXPECT_EQ(CountHeaders(request.headers, "x-amz-date"), 1u);
  EXPECT_EQ(*FindHeader(request.headers, "x-amz-date"), "20261123T123956Z");

  HttpRequest fresh = S3Get("/bucket/key");
  SigV4Signer other;
  auto expected = other.SignHeaders(fresh, Keys(kToken), later);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(again->signature, expected->signature);
}

// --- The derived-key cache ---

std::string SignatureFor(SigV4Signer& signer, const Credentials& credentials,
                         const SigningParams& params) {
  HttpRequest request = S3Get("/bucket/key");
  auto result = signer.SignHeaders(request, credentials, params);
  EXPECT_TRUE(result.ok());
  return result.ok() ? result->signature : std::string();
}

TEST(SigV4Test, DerivedKeyCacheFollowsDateSecretRegionAndService) {
  SigV4Signer cached;
  SigningParams today = SigningParams::ForS3("us-east-1", Now());
  const std::string first = SignatureFor(cached, Keys(), today);
  EXPECT_EQ(SignatureFor(cached, Keys(), today), first);

  // Each change must derive a new key: compare with a signer that never cached anything.
  SigningParams tomorrow = SigningParams::ForS3("us-east-1", Now() + hours(24));
  const std::string next_day = SignatureFor(cached, Keys(), tomorrow);
  EXPECT_NE(next_day, first);
  SigV4Signer fresh_a;
  EXPECT_EQ(next_day, SignatureFor(fresh_a, Keys(), tomorrow));

  Credentials rotated = Keys();
  rotated.secret_access_key = "anotherSecretKeyEXAMPLE";
  SigV4Signer fresh_b;
  EXPECT_EQ(SignatureFor(cached, rotated, tomorrow), SignatureFor(fresh_b, rotated, tomorrow));

  SigningParams other_region = SigningParams::ForS3("eu-west-1", Now() + hours(24));
  SigV4Signer fresh_c;
  EXPECT_EQ(SignatureFor(cached, rotated, other_region),
            SignatureFor(fresh_c, rotated, other_region));

  SigningParams other_service = SigningParams::ForService("eu-west-1", "ecs", Now() + hours(24));
  SigV4Signer fresh_d;
  EXPECT_EQ(SignatureFor(cached, rotated, other_service),
            SignatureFor(fresh_d, rotated, other_service));

  // And back to the start.
  EXPECT_EQ(SignatureFor(cached, Keys(), today), first);
}

// --- Against botocore ---
//
// The expected strings below come from botocore 1.43.11 with its clock patched (python3):
//
//   import datetime
//   from unittest import mock
//   from urllib.parse import quote
//   from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
//   from botocore.awsrequest import AWSRequest
//   from botocore.credentials import Credentials
//
//   def capturing(cls):  # keeps the canonical request, to compare stage by stage
//       class Capturing(cls):
//           def canonical_request(self, request):
//               self.cr = super().canonical_request(request)
//               return self.cr
//       return Capturing
//
//   AKID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
//   TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//token+with/slashes=="
//   NOW = datetime.datetime(2026, 11, 23, 12, 34, 56)  # naive UTC, as botocore uses it
//   HOST = "examplebucket.s3.us-east-1.amazonaws.com"
//   with mock.patch("botocore.auth.get_current_datetime", return_value=NOW):
//       # 1. Presigned S3 GET, expires 3600 (S3SigV4QueryAuth signs UNSIGNED-PAYLOAD).
//       path = "/" + quote("photos/2026/a b+c~d*e=f\u00e9.jpg", safe="/~")
//       r = AWSRequest("GET", "https://" + HOST + path + "?response-content-type=text%2Fplain",
//                      headers={"Host": HOST})
//       a = capturing(S3SigV4QueryAuth)(Credentials(AKID, SECRET), "s3", "us-east-1",
//                                       expires=3600)
//       a.add_auth(r); print(repr(a.cr)); print(r.url)
//       # 2. S3 GET, header signing, session token (payload: the empty body's hash).
//       path = "/" + quote("logs//2026/../raw data+v1~.csv", safe="/~")
//       r = AWSRequest("GET", "https://" + HOST + path, headers={"Host": HOST})
//       a = capturing(S3SigV4Auth)(Credentials(AKID, SECRET, TOKEN), "s3", "us-east-1")
//       a.add_auth(r); print(repr(a.cr)); print(r.headers["Authorization"])
//       # 3. ECS RunTask JSON POST (User-Agent is sent but not signed).
//       body = b"..."  # the 323 bytes of kEcsBody below
//       r = AWSRequest("POST", "https://ecs.us-east-1.amazonaws.com/", data=body, headers={
//           "Host": "ecs.us-east-1.amazonaws.com",
//           "Content-Type": "application/x-amz-json-1.1",
//           "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.RunTask",
//           "User-Agent": "sluice/0.1.0"})
//       a = capturing(SigV4Auth)(Credentials(AKID, SECRET), "ecs", "us-east-1")
//       a.add_auth(r); print(repr(a.cr)); print(r.headers["Authorization"])

constexpr std::string_view kEcsBody =
    R"({"cluster":"default","taskDefinition":"sluice-demo:3","launchType":"FARGATE",)"
    R"("count":1,"networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-0abc1234"],)"
    R"("securityGroups":["sg-0def5678"],"assignPublicIp":"ENABLED"}},)"
    R"("overrides":{"containerOverrides":[{"name":"app","command":["process","s3://bucket/in/x.csv"]}]}})";

TEST(SigV4BotocoreTest, PresignedS3GetMatchesBotocore) {
  const std::string path = "/photos/2026/a%20b%2Bc~d%2Ae%3Df%C3%A9.jpg";
  EXPECT_EQ("/" + UriEncode("photos/2026/a b+c~d*e=f\xc3\xa9.jpg", /*keep_slash=*/true), path);
  HttpRequest request = S3Get(path);
  request.query = "response-content-type=text%2Fplain";
  SigningParams params = SigningParams::ForS3("us-east-1", Now());
  params.payload_hash = std::string(kUnsignedPayload);
  params.expires = std::chrono::seconds(3600);

  SigV4Signer signer;
  auto result = signer.Presign(request, Keys(), params);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(
      result->canonical_request,
      "GET\n"
      "/photos/2026/a%20b%2Bc~d%2Ae%3Df%C3%A9.jpg\n"
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Fus-east-1%2F"
      "s3%2Faws4_request&X-Amz-Date=20261123T123456Z&X-Amz-Expires=3600&X-Amz-SignedHeaders="
      "host&response-content-type=text%2Fplain\n"
      "host:examplebucket.s3.us-east-1.amazonaws.com\n"
      "\n"
      "host\n"
      "UNSIGNED-PAYLOAD");
  EXPECT_EQ(request.Url(),
            "https://examplebucket.s3.us-east-1.amazonaws.com"
            "/photos/2026/a%20b%2Bc~d%2Ae%3Df%C3%A9.jpg?response-content-type=text%2Fplain"
            "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20261123T123456Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=dbadc6a67355285c95dcda01abc2449cf3a82238f9a086fa88266689758a9bae");
}

TEST(SigV4BotocoreTest, S3GetAuthorizationMatchesBotocore) {
  const std::string path = "/logs//2026/../raw%20data%2Bv1~.csv";
  EXPECT_EQ("/" + UriEncode("logs//2026/../raw data+v1~.csv", /*keep_slash=*/true), path);
  HttpRequest request = S3Get(path);

  SigV4Signer signer;
  auto result = signer.SignHeaders(request, Keys(kToken), SigningParams::ForS3("us-east-1", Now()));
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(
      result->canonical_request,
      "GET\n"
      "/logs//2026/../raw%20data%2Bv1~.csv\n"
      "\n"
      "host:examplebucket.s3.us-east-1.amazonaws.com\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20261123T123456Z\n"
      "x-amz-security-token:IQoJb3JpZ2luX2VjEXAMPLE//token+with/slashes==\n"
      "\n"
      "host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  ASSERT_NE(FindHeader(request.headers, "authorization"), nullptr);
  EXPECT_EQ(*FindHeader(request.headers, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
            "Signature=bb3c69135f1d37f10ba68869f7b611a238dd90aefd1cf622213fe5c2e5e32e5d");
}

TEST(SigV4BotocoreTest, EcsJsonPostAuthorizationMatchesBotocore) {
  ASSERT_EQ(kEcsBody.size(), 323u);
  HttpRequest request;
  request.method = "POST";
  request.endpoint = "https://ecs.us-east-1.amazonaws.com";
  request.path = "/";
  request.headers = {
      {"Host", "ecs.us-east-1.amazonaws.com"},
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.RunTask"},
      {"User-Agent", "sluice/0.1.0"},
  };
  request.body = std::string(kEcsBody);

  SigV4Signer signer;
  auto result =
      signer.SignHeaders(request, Keys(), SigningParams::ForService("us-east-1", "ecs", Now()));
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->canonical_request,
            "POST\n"
            "/\n"
            "\n"
            "content-type:application/x-amz-json-1.1\n"
            "host:ecs.us-east-1.amazonaws.com\n"
            "x-amz-date:20261123T123456Z\n"
            "x-amz-target:AmazonEC2ContainerServiceV20141113.RunTask\n"
            "\n"
            "content-type;host;x-amz-date;x-amz-target\n"
            "a543f84960271afa11ac4d8a6d279a896497f25aa35693c74cb84ea6594b2388");
  ASSERT_NE(FindHeader(request.headers, "authorization"), nullptr);
  EXPECT_EQ(*FindHeader(request.headers, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/ecs/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
            "Signature=c544e130e3656b55026ac3e0d85fa473616ecfa18f1cc8aae2641aed9123f8c7");
  EXPECT_EQ(FindHeader(request.headers, "x-amz-content-sha256"), nullptr);
}

TEST(AmzDateTest, MatchesTheCalendarAcrossLeapYearsAndCenturies) {
  for (const char* iso : {"1970-01-01T00:00:00Z", "2000-02-29T23:59:59Z", "2015-08-30T12:36:00Z",
                          "2024-12-31T00:00:01Z", "2100-03-01T06:07:08Z"}) {
    auto t = ParseIso8601(iso);
    ASSERT_TRUE(t.has_value()) << iso;
    std::string expected(iso);
    std::erase(expected, '-');
    std::erase(expected, ':');
    EXPECT_EQ(FormatAmzDate(*t), expected);
  }
}

}  // namespace
}  // namespace sluice
