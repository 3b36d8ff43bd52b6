// Registry authentication: WWW-Authenticate as real registries send it (and as RFC 7235 allows),
// docker's config.json in each of its forms with a fake credential helper on a test PATH, and
// the token-server exchange built, parsed and sent through a recording fake HTTP client.
#include "sluice/registry/registry_auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "sluice/os/file_read.h"
#include "sluice/util/crypto.h"
#include "tests/support/child_process.h"
#include "tests/support/fake_http_client.h"

namespace sluice {
namespace {

using nlohmann::json;
using Params = std::map<std::string, std::string>;

// ---- WWW-Authenticate ----

TEST(ParseWwwAuthenticateTest, DockerHub) {
  auto c = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
      R"(scope="repository:library/ubuntu:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params, (Params{{"realm", "https://auth.docker.io/token"},
                                 {"service", "registry.docker.io"},
                                 {"scope", "repository:library/ubuntu:pull"}}));
}

TEST(ParseWwwAuthenticateTest, GhcrWithCommasInsideTheScope) {
  auto c = ParseWwwAuthenticate(
      R"(Bearer realm="https://ghcr.io/token",service="ghcr.io",)"
      R"(scope="repository:octo/app:pull,push",error="insufficient_scope")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].params, (Params{{"realm", "https://ghcr.io/token"},
                                 {"service", "ghcr.io"},
                                 {"scope", "repository:octo/app:pull,push"},
                                 {"error", "insufficient_scope"}}));
}

TEST(ParseWwwAuthenticateTest, EcrAndTheDistributionRegistryAskForBasic) {
  auto ecr = ParseWwwAuthenticate(
      R"(Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com")");
  ASSERT_EQ(ecr.size(), 1u);
  EXPECT_EQ(ecr[0].scheme, "basic");
  EXPECT_EQ(ecr[0].params,
            (Params{{"realm", "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/"},
                    {"service", "ecr.amazonaws.com"}}));
  auto registry = ParseWwwAuthenticate(R"(Basic realm="Registry Realm")");
  ASSERT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry[0].params, (Params{{"realm", "Registry Realm"}}));
}

TEST(ParseWwwAuthenticateTest, SeveralChallengesWithEscapedQuotes) {
  // RFC 7235 section 4.1's example.
  auto c = ParseWwwAuthenticate(
      R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "newauth");
  EXPECT_EQ(c[0].params,
            (Params{{"realm", "apps"}, {"type", "1"}, {"title", R"(Login to "apps")"}}));
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_EQ(c[1].params, (Params{{"realm", "simple"}}));
  EXPECT_EQ(FindChallenge(c, "basic"), &c[1]);
  EXPECT_EQ(FindChallenge(c, "bearer"), nullptr);

  auto backslashes = ParseWwwAuthenticate(R"(Bearer realm="a\\b\,c")");
  ASSERT_EQ(backslashes.size(), 1u);
  EXPECT_EQ(backslashes[0].params.at("realm"), R"(a\b,c)");
}

TEST(ParseWwwAuthenticateTest, Token68IsIgnoredAndSeparatesNothing) {
  auto c = ParseWwwAuthenticate(R"(Negotiate YIIabc+/d==, Bearer realm="x", Other abc=)");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "negotiate");
  EXPECT_TRUE(c[0].params.empty());
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].params, (Params{{"realm", "x"}}));
  EXPECT_EQ(c[2].scheme, "other");
  EXPECT_TRUE(c[2].params.empty());
}

TEST(ParseWwwAuthenticateTest, CaseSpacesAndUnquotedValues) {
  auto c = ParseWwwAuthenticate(
      "  BEARER Realm = \"https://r/token\" ,\tService=reg.example ,, scope=https://odd/x ");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params, (Params{{"realm", "https://r/token"},
                                 {"service", "reg.example"},
                                 {"scope", "https://odd/x"}}));
  // The first of a repeated parameter wins.
  auto repeated = ParseWwwAuthenticate(R"(Bearer realm="a",realm="b")");
  EXPECT_EQ(repeated[0].params.at("realm"), "a");
  EXPECT_EQ(ParseWwwAuthenticate(R"(bearer realm="")")[0].params.at("realm"), "");
}

TEST(ParseWwwAuthenticateTest, OddInputNeverFails) {
  EXPECT_TRUE(ParseWwwAuthenticate("").empty());
  EXPECT_TRUE(ParseWwwAuthenticate(" , ,").empty());
  auto bare = ParseWwwAuthenticate("Basic");
  ASSERT_EQ(bare.size(), 1u);
  EXPECT_EQ(bare[0].scheme, "basic");
  EXPECT_TRUE(bare[0].params.empty());
  auto unterminated = ParseWwwAuthenticate(R"(Bearer realm="https://r/token)");
  ASSERT_EQ(unterminated.size(), 1u);
  EXPECT_EQ(unterminated[0].params.at("realm"), "https://r/token");
  auto schemes = ParseWwwAuthenticate(R"(Basic, Bearer realm="x")");
  ASSERT_EQ(schemes.size(), 2u);
  EXPECT_EQ(schemes[1].params.at("realm"), "x");
  // Garbage between elements is skipped, not looped on.
  auto garbage = ParseWwwAuthenticate(R"(=== "x", Bearer realm="y" @@, ==)");
  ASSERT_NE(FindChallenge(garbage, "bearer"), nullptr);
  EXPECT_EQ(FindChallenge(garbage, "bearer")->params.at("realm"), "y");
}

// ---- docker's config.json ----

std::string FileText(const std::string& path) {
  int error_number = 0;
  return ReadWholeFile(path, &error_number).value_or("");
}

// A fake docker-credential-test: answers by server URL as the real helpers do, and keeps the
// URL it read on stdin in last-url.
constexpr const char* kHelperScript = R"(#!/bin/sh
[ "$1" = get ] || { echo "unexpected: $*" >&2; exit 2; }
url=$(cat)
printf '%s' "$url" > "$(dirname "$0")/last-url"
case "$url" in
  ghcr.io) printf '{"ServerURL":"%s","Username":"octo","Secret":"s3cret"}\n' "$url" ;;
  https://index.docker.io/v1/) printf '{"Username":"<token>","Secret":"refresh-123"}' ;;
  broken.example) echo "first line" >&2; echo "keychain is locked" >&2; exit 3 ;;
  garbage.example) echo "this is not json" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
)";

class DockerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-docker-config-");
    ::mkdir((dir_ + "/bin").c_str(), 0755);
    testing::WriteFile(dir_ + "/bin/docker-credential-test", kHelperScript);
    ::chmod((dir_ + "/bin/docker-credential-test").c_str(), 0755);
    env_.Set("DOCKER_CONFIG", dir_);
    env_.Set("HOME", dir_ + "/home");
    env_.Set("PATH", dir_ + "/bin:/usr/bin:/bin");
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  void WriteConfig(const json& config) {
    testing::WriteFile(dir_ + "/config.json", config.dump(2));
  }
  RegistryCredentials Found(std::string_view host) {
    auto c = DockerConfigCredentials(env_, host);
    EXPECT_TRUE(c.ok()) << c.error().ToString();
    if (!c.ok() || !c->has_value()) {
      ADD_FAILURE() << "no credentials for " << host;
      return {};
    }
    return **c;
  }
  bool NoneFor(std::string_view host) {
    auto c = DockerConfigCredentials(env_, host);
    EXPECT_TRUE(c.ok()) << c.error().ToString();
    return c.ok() && !c->has_value();
  }
  Error ErrorFor(std::string_view host) {
    auto c = DockerConfigCredentials(env_, host);
    EXPECT_FALSE(c.ok());
    return c.ok() ? Error{} : c.error();
  }

  std::string dir_;
  MapEnvironment env_;
};

TEST_F(DockerConfigTest, NoFileOrNoEntryIsNothingConfigured) {
  EXPECT_TRUE(NoneFor("ghcr.io"));
  WriteConfig(json::object());
  EXPECT_TRUE(NoneFor("ghcr.io"));
  WriteConfig({{"auths", {{"quay.io", {{"auth", Base64Encode("a:b")}}}}}});
  EXPECT_TRUE(NoneFor("ghcr.io"));
  // Docker Desktop's placeholders for hosts whose secrets are in its store.
  WriteConfig({{"auths", {{"ghcr.io", json::object()}}}});
  EXPECT_TRUE(NoneFor("ghcr.io"));
}

TEST_F(DockerConfigTest, AuthIsBase64OfUserColonPassword) {
  WriteConfig({{"auths", {{"ghcr.io", {{"auth", Base64Encode("octo:pa:ss")}}}}}});
  RegistryCredentials c = Found("ghcr.io");
  EXPECT_EQ(c.username, "octo");
  EXPECT_EQ(c.password, "pa:ss");
  EXPECT_EQ(c.identity_token, "");
}

TEST_F(DockerConfigTest, UsernamePasswordAndIdentityToken) {
  WriteConfig({{"auths",
                {{"127.0.0.1:5000", {{"username", "AWS"}, {"password", "tok"}}},
                 {"registry.example.com", {{"auth", ""}, {"identitytoken", "refresh-9"}}}}}});
  RegistryCredentials plain = Found("127.0.0.1:5000");
  EXPECT_EQ(plain.username, "AWS");
  EXPECT_EQ(plain.password, "tok");
  EXPECT_TRUE(NoneFor("127.0.0.1:5001"));
  EXPECT_TRUE(NoneFor("127.0.0.1"));
  RegistryCredentials token = Found("registry.example.com");
  EXPECT_EQ(token.identity_token, "refresh-9");
  EXPECT_EQ(token.username, "");
}

TEST_F(DockerConfigTest, KeysMayBeUrlsAndDockerHubHasItsLegacyOne) {
  WriteConfig({{"auths",
                {{"https://registry.example.com/v2/", {{"auth", Base64Encode("u:p")}}},
                 {"https://index.docker.io/v1/", {{"auth", Base64Encode("hub:pw")}}}}}});
  EXPECT_EQ(Found("registry.example.com").username, "u");
  EXPECT_EQ(Found("docker.io").username, "hub");
  EXPECT_EQ(Found("registry-1.docker.io").username, "hub");
  EXPECT_EQ(Found("index.docker.io").username, "hub");
  EXPECT_TRUE(NoneFor("example.com"));
}

TEST_F(DockerConfigTest, HomeDockerConfigWhenDockerConfigIsUnset) {
  MapEnvironment env{{"HOME", dir_}};
  ::mkdir((dir_ + "/.docker").c_str(), 0755);
  testing::WriteFile(dir_ + "/.docker/config.json",
                     json{{"auths", {{"ghcr.io", {{"auth", Base64Encode("home:pw")}}}}}}.dump());
  auto c = DockerConfigCredentials(env, "ghcr.io");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->username, "home");
}

TEST_F(DockerConfigTest, InvalidFilesAreErrorsNamingTheFileNotTheSecret) {
  testing::WriteFile(dir_ + "/config.json", "{\"auths\": ");
  Error not_json = ErrorFor("ghcr.io");
  EXPECT_EQ(not_json.kind, ErrorKind::kConfig);
  EXPECT_NE(not_json.message.find(dir_ + "/config.json"), std::string::npos) << not_json.message;

  WriteConfig({{"auths", {{"ghcr.io", {{"auth", Base64Encode("no-colon-secret")}}}}}});
  Error bad_auth = ErrorFor("ghcr.io");
  EXPECT_EQ(bad_auth.kind, ErrorKind::kConfig);
  EXPECT_NE(bad_auth.message.find("auths[\"ghcr.io\"]"), std::string::npos) << bad_auth.message;
  EXPECT_EQ(bad_auth.ToString().find("secret"), std::string::npos) << bad_auth.ToString();
  EXPECT_EQ(bad_auth.ToString().find(Base64Encode("no-colon-secret")), std::string::npos);

  WriteConfig({{"auths", json::array()}});
  EXPECT_EQ(ErrorFor("ghcr.io").kind, ErrorKind::kConfig);

  testing::RemoveTree(dir_ + "/config.json");
  ::mkdir((dir_ + "/config.json").c_str(), 0755);
  Error unreadable = ErrorFor("ghcr.io");
  EXPECT_EQ(unreadable.kind, ErrorKind::kIo);
  EXPECT_NE(unreadable.message.find(dir_ + "/config.json"), std::string::npos);
}

TEST_F(DockerConfigTest, CredsStoreRunsTheHelperWithTheServerUrlOnStdin) {
  // The store's answer wins over an inline entry, as in docker.
  WriteConfig({{"credsStore", "test"},
               {"auths", {{"ghcr.io", {{"auth", Base64Encode("inline:pw")}}}}}});
  RegistryCredentials c = Found("ghcr.io");
  EXPECT_EQ(c.username, "octo");
  EXPECT_EQ(c.password, "s3cret");
  EXPECT_EQ(FileText(dir_ + "/bin/last-url"), "ghcr.io");

  RegistryCredentials hub = Found("docker.io");
  EXPECT_EQ(hub.identity_token, "refresh-123");  // Username "<token>"
  EXPECT_EQ(hub.username, "");
  EXPECT_EQ(FileText(dir_ + "/bin/last-url"), "https://index.docker.io/v1/");

  EXPECT_TRUE(NoneFor("quay.io"));  // "credentials not found"
}

TEST_F(DockerConfigTest, CredHelpersPerHostComeBeforeTheStore) {
  WriteConfig({{"credsStore", "missing"},
               {"credHelpers", {{"ghcr.io", "test"}, {"https://index.docker.io/v1/", "test"}}}});
  EXPECT_EQ(Found("ghcr.io").password, "s3cret");
  EXPECT_EQ(Found("registry-1.docker.io").identity_token, "refresh-123");
  Error missing = ErrorFor("quay.io");
  EXPECT_EQ(missing.kind, ErrorKind::kCredentials);
  EXPECT_NE(missing.message.find("docker-credential-missing"), std::string::npos)
      << missing.message;
  EXPECT_NE(missing.message.find("not on PATH"), std::string::npos) << missing.message;
  EXPECT_NE(missing.message.find("credsStore in " + dir_ + "/config.json"), std::string::npos)
      << missing.message;
}

TEST_F(DockerConfigTest, FailingHelpersAreErrorsNamingTheHelper) {
  WriteConfig({{"credHelpers", {{"broken.example", "test"}, {"garbage.example", "test"}}}});
  Error failed = ErrorFor("broken.example");
  EXPECT_EQ(failed.kind, ErrorKind::kCredentials);
  EXPECT_NE(failed.message.find("docker-credential-test"), std::string::npos) << failed.message;
  EXPECT_NE(failed.message.find("credHelpers[\"broken.example\"]"), std::string::npos);
  EXPECT_NE(failed.message.find("status 3: keychain is locked"), std::string::npos)
      << failed.message;
  Error garbage = ErrorFor("garbage.example");
  EXPECT_NE(garbage.message.find("not a JSON object"), std::string::npos) << garbage.message;
}

TEST_F(DockerConfigTest, TheHelperIsFoundOnTheEnvironmentsPath) {
  WriteConfig({{"credsStore", "test"}});
  env_.Set("PATH", "/usr/bin:/bin");
  EXPECT_NE(ErrorFor("ghcr.io").message.find("not on PATH"), std::string::npos);
  env_.Set("PATH", "/nonexistent::" + dir_ + "/bin");
  EXPECT_EQ(Found("ghcr.io").username, "octo");
  WriteConfig({{"credsStore", "../bin/test"}});
  EXPECT_EQ(ErrorFor("ghcr.io").kind, ErrorKind::kConfig);
}

// ---- the token server ----

AuthChallenge Bearer(std::string realm, std::string service = "registry.docker.io") {
  AuthChallenge c{"bearer", {{"realm", std::move(realm)}}};
  if (!service.empty()) c.params["service"] = std::move(service);
  return c;
}

HttpResponse Answer(int status, std::string body) { return HttpResponse{status, {}, std::move(body)}; }

TEST(TokenRequestTest, AnonymousGet) {
  HttpRequest r = BuildTokenRequest(Bearer("https://auth.docker.io/token"),
                                    "repository:library/ubuntu:pull", std::nullopt);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.endpoint, "https://auth.docker.io");
  EXPECT_EQ(r.path, "/token");
  EXPECT_EQ(r.query, "service=registry.docker.io&scope=repository%3Alibrary%2Fubuntu%3Apull");
  EXPECT_EQ(*FindHeader(r.headers, "host"), "auth.docker.io");
  EXPECT_EQ(FindHeader(r.headers, "authorization"), nullptr);
  EXPECT_EQ(r.body, "");
}

TEST(TokenRequestTest, BasicAuthSeveralScopesAndARealmWithAQuery) {
  RegistryCredentials c{"octo", "pw", ""};
  HttpRequest r = BuildTokenRequest(Bearer("http://127.0.0.1:5001/auth/token?x=1", "reg"),
                                    "repository:a/b:pull repository:c:pull,push", c);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.endpoint, "http://127.0.0.1:5001");
  EXPECT_EQ(r.path, "/auth/token");
  EXPECT_EQ(r.query,
            "x=1&service=reg&scope=repository%3Aa%2Fb%3Apull&scope=repository%3Ac%3Apull%2Cpush"
            "&account=octo");
  EXPECT_EQ(*FindHeader(r.headers, "host"), "127.0.0.1:5001");
  EXPECT_EQ(*FindHeader(r.headers, "authorization"), "Basic " + Base64Encode("octo:pw"));
  // No service and no scope: only what the realm had.
  HttpRequest bare = BuildTokenRequest(Bearer("https://r/token?x=1", ""), "", std::nullopt);
  EXPECT_EQ(bare.query, "x=1");
}

TEST(TokenRequestTest, IdentityTokenIsAnOAuth2RefreshGrant) {
  RegistryCredentials c{"", "", "refresh/123+="};
  HttpRequest r = BuildTokenRequest(Bearer("https://ghcr.io/token", "ghcr.io"),
                                    "repository:a:pull repository:b:push", c);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.endpoint, "https://ghcr.io");
  EXPECT_EQ(r.path, "/token");
  EXPECT_EQ(r.query, "");
  EXPECT_EQ(*FindHeader(r.headers, "content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(FindHeader(r.headers, "authorization"), nullptr);
  EXPECT_EQ(r.body,
            "grant_type=refresh_token&refresh_token=refresh%2F123%2B%3D&service=ghcr.io"
            "&client_id=sluice&scope=repository%3Aa%3Apull%20repository%3Ab%3Apush");
}

TEST(TokenResponseTest, TokenOrAccessTokenAndExpiry) {
  auto token = ParseTokenResponse(Answer(200, R"({"token":"t1","expires_in":300})"));
  ASSERT_TRUE(token.ok()) << token.error().ToString();
  EXPECT_EQ(token->token, "t1");
  EXPECT_EQ(token->expires_in, std::chrono::seconds(300));

  auto access = ParseTokenResponse(Answer(200, R"({"access_token":"a1","issued_at":"x"})"));
  ASSERT_TRUE(access.ok()) << access.error().ToString();
  EXPECT_EQ(access->token, "a1");
  EXPECT_EQ(access->expires_in, std::chrono::seconds(60));

  auto both = ParseTokenResponse(Answer(200, R"({"token":"","access_token":"a2","expires_in":5})"));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->token, "a2");
  EXPECT_EQ(both->expires_in, std::chrono::seconds(60));  // never shorter than the default
}

TEST(TokenResponseTest, BadSuccessBodiesNeverQuoteTheBody) {
  for (const char* body : {"secret-token-text", R"({"tok":"secret"})", R"({"token":42})"}) {
    auto r = ParseTokenResponse(Answer(200, body), "https://auth.example/token");
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().kind, ErrorKind::kParse);
    EXPECT_EQ(r.error().ToString().find("secret"), std::string::npos) << r.error().ToString();
    EXPECT_NE(r.error().message.find("https://auth.example/token"), std::string::npos);
  }
}

TEST(TokenResponseTest, ErrorStatusesNameTheRealmStatusAndReason) {
  auto denied = ParseTokenResponse(
      Answer(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})"),
      "https://auth.example/token?secret=1");
  ASSERT_FALSE(denied.ok());
  const Error& e = denied.error();
  EXPECT_EQ(e.kind, ErrorKind::kCredentials);
  EXPECT_EQ(e.http_status, 401);
  EXPECT_EQ(e.code, "UNAUTHORIZED");
  EXPECT_FALSE(e.retryable);
  EXPECT_NE(e.message.find("https://auth.example/token"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("authentication required"), std::string::npos) << e.message;
  EXPECT_EQ(e.ToString().find("secret"), std::string::npos) << e.ToString();

  auto hub = ParseTokenResponse(Answer(401, R"({"details":"incorrect username or password"})"));
  ASSERT_FALSE(hub.ok());
  EXPECT_NE(hub.error().message.find("incorrect username or password"), std::string::npos);

  auto oauth = ParseTokenResponse(
      Answer(400, R"({"error":"invalid_grant","error_description":"refresh token expired"})"));
  ASSERT_FALSE(oauth.ok());
  EXPECT_EQ(oauth.error().kind, ErrorKind::kService);
  EXPECT_EQ(oauth.error().code, "invalid_grant");
  EXPECT_NE(oauth.error().message.find("refresh token expired"), std::string::npos);

  auto busy = ParseTokenResponse(Answer(503, "<html>overloaded</html>"));
  ASSERT_FALSE(busy.ok());
  EXPECT_TRUE(busy.error().retryable);
  EXPECT_EQ(busy.error().http_status, 503);
  EXPECT_TRUE(ParseTokenResponse(Answer(429, "")).error().retryable);
}

TEST(FetchBearerTokenTest, SendsTheRequestAndParsesTheAnswer) {
  testing::FakeHttpClient http;
  http.Enqueue(200, R"({"token":"abc","expires_in":120})");
  auto token = FetchBearerToken(http, Bearer("https://auth.docker.io/token"),
                                "repository:library/ubuntu:pull",
                                RegistryCredentials{"u", "p", ""});
  ASSERT_TRUE(token.ok()) << token.error().ToString();
  EXPECT_EQ(token->token, "abc");
  EXPECT_EQ(token->expires_in, std::chrono::seconds(120));
  ASSERT_EQ(http.request_count(), 1u);
  HttpRequest sent = http.last_request();
  EXPECT_EQ(sent.Url(),
            "https://auth.docker.io/token?service=registry.docker.io"
            "&scope=repository%3Alibrary%2Fubuntu%3Apull&account=u");
  EXPECT_EQ(*FindHeader(sent.headers, "authorization"), BasicAuthorization({"u", "p", ""}));

  http.Enqueue(401, R"({"details":"incorrect username or password"})");
  auto refused = FetchBearerToken(http, Bearer("https://auth.docker.io/token"), "", std::nullopt);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("https://auth.docker.io/token"), std::string::npos);

  http.Enqueue(Error::Network("connection refused"));
  auto unreachable = FetchBearerToken(http, Bearer("https://auth.docker.io/token"), "", std::nullopt);
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().kind, ErrorKind::kNetwork);
  EXPECT_NE(unreachable.error().message.find("token request to https://auth.docker.io/token"),
            std::string::npos)
      << unreachable.error().message;
}

TEST(FetchBearerTokenTest, OnlyBearerChallengesWithAnHttpRealm) {
  testing::FakeHttpClient http;
  AuthChallenge basic{"basic", {{"realm", "https://r/"}}};
  EXPECT_EQ(FetchBearerToken(http, basic, "", std::nullopt).error().kind,
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(FetchBearerToken(http, AuthChallenge{"bearer", {}}, "", std::nullopt).error().kind,
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(FetchBearerToken(http, Bearer("ftp://r/token"), "", std::nullopt).error().kind,
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(http.request_count(), 0u);
}

TEST(BasicAuthorizationTest, Base64OfUserColonPassword) {
  EXPECT_EQ(BasicAuthorization({"AWS", "pw", ""}), "Basic QVdTOnB3");
  EXPECT_EQ(BasicAuthorization({"", "", ""}), "Basic Og==");
}

}  // namespace
}  // namespace sluice
