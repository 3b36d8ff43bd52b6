// EC2 instance metadata credentials against a fake IMDS on a real loopback server: the IMDSv2
// token exchange and its cache, the IMDSv1 fallback rules, turning it off, and telling "not on
// EC2" apart from a failure. The default endpoints and a timed-out token call use a fake client.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "sluice/aws/credentials/credential_sources.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/loopback_http_server.h"

namespace sluice {
namespace {

using ::sluice::testing::FakeHttpClient;
using ::sluice::testing::LoopbackHttpServer;
using ::sluice::testing::RecordedRequest;
using ::sluice::testing::ScriptedResponse;
using namespace std::chrono_literals;

constexpr char kTokenPath[] = "/latest/api/token";
constexpr char kRolesPath[] = "/latest/meta-data/iam/security-credentials/";
constexpr char kCredentialsJson[] = R"({
  "Code": "Success",
  "LastUpdated": "2030-01-01T21:00:00Z",
  "Type": "AWS-HMAC",
  "AccessKeyId": "ASIAINSTANCE",
  "SecretAccessKey": "instance-secret",
  "Token": "instance-session-token",
  "Expiration": "2030-01-02T03:04:05Z"
})";

// Time stands still unless a test moves it; sleeping moves it, so retries take no real time.
class FakeClock : public Clock {
 public:
  SystemTime Now() override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void SleepFor(std::chrono::milliseconds duration) override { Advance(duration); }
  void Advance(std::chrono::milliseconds duration) {
    std::lock_guard lock(mutex_);
    now_ += duration;
  }

 private:
  std::mutex mutex_;
  SystemTime now_ = std::chrono::system_clock::from_time_t(1893456000);  // 2030-01-01
};

// How the fake IMDS behaves. It issues tokens "token-1", "token-2", ... and, when tokens are
// required, accepts only the latest one on GETs.
struct FakeImds {
  int token_status = 200;  // the PUT's answer when not 200: 403 as with IMDS turned off, ...
  bool require_token = true;
  std::string roles = "my-role\n";
  int roles_status = 200;
  std::string credentials = kCredentialsJson;
  int credentials_failures = 0;  // answer the credentials GET with 500 this many times first

  struct State {
    std::mutex mutex;
    int tokens_issued = 0;
    std::string valid_token;
    int credentials_failures_left = 0;
  };
  std::shared_ptr<State> state = std::make_shared<State>();

  // Makes every token issued so far invalid, as an instance restart does.
  void InvalidateTokens() const {
    std::lock_guard lock(state->mutex);
    state->valid_token.clear();
  }

  LoopbackHttpServer::Handler Handler() const {
    state->credentials_failures_left = credentials_failures;
    return [imds = *this](const RecordedRequest& r) -> ScriptedResponse {
      std::lock_guard lock(imds.state->mutex);
      if (r.method == "PUT" && r.path == kTokenPath) {
        if (imds.token_status != 200) return {.status = imds.token_status};
        imds.state->valid_token = "token-" + std::to_string(++imds.state->tokens_issued);
        return {.status = 200, .body = imds.state->valid_token};
      }
      if (r.method != "GET") return {.status = 405};
      if (imds.require_token) {
        const std::string* token = r.Header("x-aws-ec2-metadata-token");
        if (token == nullptr || *token != imds.state->valid_token) return {.status = 401};
      }
      if (r.path == kRolesPath) return {.status = imds.roles_status, .body = imds.roles};
      if (r.path == std::string(kRolesPath) + "my-role" ||
          r.path == std::string(kRolesPath) + "first-role") {
        if (imds.state->credentials_failures_left > 0) {
          --imds.state->credentials_failures_left;
          return {.status = 500};
        }
        return {.status = 200, .body = imds.credentials};
      }
      return {.status = 404};
    };
  }
};

class InstanceMetadataCredentialsTest : public ::testing::Test {
 protected:
  std::shared_ptr<CredentialsProvider> Provider(const LoopbackHttpServer& server) {
    env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint());
    return InstanceMetadataCredentials(&env_, MakeCurlHttpClient({}), &clock_);
  }

  static size_t CountPuts(const LoopbackHttpServer& server) {
    size_t puts = 0;
    for (const RecordedRequest& r : server.requests()) puts += r.method == "PUT";
    return puts;
  }

  MapEnvironment env_;
  FakeClock clock_;
};

TEST_F(InstanceMetadataCredentialsTest, V2TokenThenRoleThenCredentials) {
  FakeImds imds;
  LoopbackHttpServer server(imds.Handler());

  auto credentials = Provider(server)->Resolve();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->access_key_id, "ASIAINSTANCE");
  EXPECT_EQ(credentials->secret_access_key, "instance-secret");
  EXPECT_EQ(credentials->session_token, "instance-session-token");
  EXPECT_EQ(credentials->source, "ec2 instance metadata (role my-role)");
  EXPECT_TRUE(credentials->expiration.has_value());

  auto received = server.requests();
  ASSERT_EQ(received.size(), 3u);
  std::string host = "127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(received[0].method, "PUT");
  EXPECT_EQ(received[0].path, kTokenPath);
  ASSERT_NE(received[0].Header("x-aws-ec2-metadata-token-ttl-seconds"), nullptr);
  EXPECT_EQ(*received[0].Header("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(received[0].Header("x-aws-ec2-metadata-token"), nullptr);
  EXPECT_EQ(received[1].method, "GET");
  EXPECT_EQ(received[1].path, kRolesPath);
  EXPECT_EQ(received[2].method, "GET");
  EXPECT_EQ(received[2].path, std::string(kRolesPath) + "my-role");
  for (const RecordedRequest& r : received) {
    ASSERT_NE(r.Header("host"), nullptr);
    EXPECT_EQ(*r.Header("host"), host);
  }
  for (size_t i = 1; i < received.size(); ++i) {
    ASSERT_NE(received[i].Header("x-aws-ec2-metadata-token"), nullptr) << received[i].path;
    EXPECT_EQ(*received[i].Header("x-aws-ec2-metadata-token"), "token-1");
    EXPECT_EQ(received[i].Header("x-aws-ec2-metadata-token-ttl-seconds"), nullptr);
  }
}

TEST_F(InstanceMetadataCredentialsTest, TokenIsReusedUntilItNearsExpiry) {
  FakeImds imds;
  LoopbackHttpServer server(imds.Handler());
  auto provider = Provider(server);

  ASSERT_TRUE(provider->Resolve().ok());
  clock_.Advance(std::chrono::hours(5));
  auto second = provider->Resolve();
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(CountPuts(server), 1u);

  clock_.Advance(std::chrono::hours(1));  // six hours in: the token has (nearly) run out
  auto third = provider->Resolve();
  ASSERT_TRUE(third.ok()) << third.error().ToString();
  EXPECT_EQ(CountPuts(server), 2u);
  auto received = server.requests();
  ASSERT_NE(received.back().Header("x-aws-ec2-metadata-token"), nullptr);
  EXPECT_EQ(*received.back().Header("x-aws-ec2-metadata-token"), "token-2");
}

TEST_F(InstanceMetadataCredentialsTest, RejectedCachedTokenIsReplacedOnce) {
  FakeImds imds;
  LoopbackHttpServer server(imds.Handler());
  auto provider = Provider(server);

  ASSERT_TRUE(provider->Resolve().ok());
  imds.InvalidateTokens();
  auto credentials = provider->Resolve();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(CountPuts(server), 2u);
}

TEST_F(InstanceMetadataCredentialsTest, FallsBackToV1WhenTheTokenCallIsForbidden) {
  for (int status : {403, 404, 405}) {
    FakeImds imds;
    imds.token_status = status;
    imds.require_token = false;
    LoopbackHttpServer server(imds.Handler());

    auto credentials = Provider(server)->Resolve();
    ASSERT_TRUE(credentials.ok()) << status << ": " << credentials.error().ToString();
    EXPECT_EQ(credentials->access_key_id, "ASIAINSTANCE");
    auto received = server.requests();
    ASSERT_EQ(received.size(), 3u) << status;
    EXPECT_EQ(received[0].method, "PUT");
    for (size_t i = 1; i < received.size(); ++i) {
      EXPECT_EQ(received[i].method, "GET");
      EXPECT_EQ(received[i].Header("x-aws-ec2-metadata-token"), nullptr) << received[i].path;
    }
  }
}

TEST_F(InstanceMetadataCredentialsTest, NoV1FallbackWhenV1IsDisabled) {
  FakeImds imds;
  imds.token_status = 403;
  imds.require_token = false;
  LoopbackHttpServer server(imds.Handler());
  env_.Set("AWS_EC2_METADATA_V1_DISABLED", "true");

  auto credentials = Provider(server)->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind, ErrorKind::kCredentials);
  EXPECT_FALSE(IsNotConfigured(credentials.error()));
  EXPECT_NE(credentials.error().message.find("AWS_EC2_METADATA_V1_DISABLED"), std::string::npos)
      << credentials.error().message;
  EXPECT_NE(credentials.error().message.find("403"), std::string::npos)
      << credentials.error().message;
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(InstanceMetadataCredentialsTest, TimedOutTokenCallFallsBackToV1) {
  // What a container behind a metadata hop limit of 1 sees: the PUT's answer never arrives.
  auto http = std::make_shared<FakeHttpClient>();
  http->Enqueue(Error::Timeout("request to 169.254.169.254:80 timed out"));
  http->Enqueue(200, "my-role\n");
  http->Enqueue(200, kCredentialsJson);

  auto credentials = InstanceMetadataCredentials(&env_, http, &clock_)->Resolve();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  auto sent = http->requests();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].method, "PUT");
  EXPECT_EQ(FindHeader(sent[1].headers, "x-aws-ec2-metadata-token"), nullptr);
  EXPECT_EQ(FindHeader(sent[2].headers, "x-aws-ec2-metadata-token"), nullptr);
}

TEST_F(InstanceMetadataCredentialsTest, UsesTheDefaultEndpoints) {
  struct Case {
    const char* mode;
    const char* endpoint;
    const char* host;
  };
  for (const Case& c : {Case{"", "http://169.254.169.254", "169.254.169.254"},
                        Case{"IPv6", "http://[fd00:ec2::254]", "[fd00:ec2::254]"}}) {
    MapEnvironment env{{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", c.mode}};
    auto http = std::make_shared<FakeHttpClient>();
    http->Enqueue(200, "tok");
    http->Enqueue(200, "my-role");
    http->Enqueue(200, kCredentialsJson);

    auto credentials = InstanceMetadataCredentials(&env, http, &clock_)->Resolve();
    ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
    for (const HttpRequest& r : http->requests()) {
      EXPECT_EQ(r.endpoint, c.endpoint);
      ASSERT_NE(FindHeader(r.headers, "host"), nullptr);
      EXPECT_EQ(*FindHeader(r.headers, "host"), c.host);
    }
  }
}

TEST_F(InstanceMetadataCredentialsTest, RoleNameCannotAddPathSegments) {
  auto http = std::make_shared<FakeHttpClient>();
  http->Enqueue(200, "tok");
  http->Enqueue(200, "../../user-data?x\n");
  http->Enqueue(200, kCredentialsJson);

  auto credentials = InstanceMetadataCredentials(&env_, http, &clock_)->Resolve();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  HttpRequest last = http->last_request();
  EXPECT_EQ(last.path, std::string(kRolesPath) + "..%2F..%2Fuser-data%3Fx");
  EXPECT_EQ(last.query, "");
}

TEST_F(InstanceMetadataCredentialsTest, DisabledIsNotConfiguredAndAsksNothing) {
  for (const char* value : {"true", "TRUE"}) {
    FakeImds imds;
    LoopbackHttpServer server(imds.Handler());
    env_.Set("AWS_EC2_METADATA_DISABLED", value);

    auto credentials = Provider(server)->Resolve();
    ASSERT_FALSE(credentials.ok()) << value;
    EXPECT_TRUE(IsNotConfigured(credentials.error())) << credentials.error().ToString();
    EXPECT_NE(credentials.error().message.find("AWS_EC2_METADATA_DISABLED"), std::string::npos);
    EXPECT_EQ(server.request_count(), 0u);
  }
}

TEST_F(InstanceMetadataCredentialsTest, DisabledFalseStillAsks) {
  FakeImds imds;
  LoopbackHttpServer server(imds.Handler());
  env_.Set("AWS_EC2_METADATA_DISABLED", "false");
  auto credentials = Provider(server)->Resolve();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
}

TEST_F(InstanceMetadataCredentialsTest, UnreachableEndpointIsNotConfigured) {
  std::string endpoint;
  {
    LoopbackHttpServer server(FakeImds().Handler());
    endpoint = server.endpoint();
  }  // closed: connections to its port are refused now
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint);

  auto credentials = InstanceMetadataCredentials(&env_, MakeCurlHttpClient({}), &clock_)->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_TRUE(IsNotConfigured(credentials.error())) << credentials.error().ToString();
  EXPECT_NE(credentials.error().message.find(endpoint), std::string::npos)
      << credentials.error().message;
  EXPECT_NE(credentials.error().message.find("not an EC2 instance"), std::string::npos)
      << credentials.error().message;
}

TEST_F(InstanceMetadataCredentialsTest, UnreachableAfterHavingAnsweredIsAFailure) {
  std::shared_ptr<CredentialsProvider> provider;
  {
    LoopbackHttpServer server(FakeImds().Handler());
    provider = Provider(server);
    auto first = provider->Resolve();
    ASSERT_TRUE(first.ok()) << first.error().ToString();
  }
  auto credentials = provider->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind, ErrorKind::kCredentials);
  EXPECT_FALSE(IsNotConfigured(credentials.error())) << credentials.error().ToString();
  EXPECT_TRUE(credentials.error().retryable);
}

TEST_F(InstanceMetadataCredentialsTest, ServerErrorIsRetried) {
  FakeImds imds;
  imds.credentials_failures = 1;
  LoopbackHttpServer server(imds.Handler());

  auto credentials = Provider(server)->Resolve();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(server.request_count(), 4u);
}

TEST_F(InstanceMetadataCredentialsTest, PersistentServerErrorNamesTheUrlAndStatus) {
  FakeImds imds;
  imds.credentials_failures = 100;
  LoopbackHttpServer server(imds.Handler());

  auto credentials = Provider(server)->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_FALSE(IsNotConfigured(credentials.error()));
  const std::string& message = credentials.error().message;
  EXPECT_NE(message.find(server.endpoint() + kRolesPath + "my-role"), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 500"), std::string::npos) << message;
  EXPECT_EQ(server.request_count(), 2u + 3u);  // token, role list, three credential attempts
}

TEST_F(InstanceMetadataCredentialsTest, FirstListedRoleIsUsed) {
  FakeImds imds;
  imds.roles = "first-role\nsecond-role\n";
  LoopbackHttpServer server(imds.Handler());

  auto credentials = Provider(server)->Resolve();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->source, "ec2 instance metadata (role first-role)");
  EXPECT_EQ(server.requests().back().path, std::string(kRolesPath) + "first-role");
}

TEST_F(InstanceMetadataCredentialsTest, InstanceWithoutARoleIsNotConfigured) {
  for (int status : {404, 200}) {
    FakeImds imds;
    imds.roles_status = status;
    imds.roles = "";
    LoopbackHttpServer server(imds.Handler());

    auto credentials = Provider(server)->Resolve();
    ASSERT_FALSE(credentials.ok()) << status;
    EXPECT_TRUE(IsNotConfigured(credentials.error())) << credentials.error().ToString();
    EXPECT_NE(credentials.error().message.find("IAM role"), std::string::npos)
        << credentials.error().message;
  }
}

// Seen on this project's sandboxes: a proxy answers every request for 169.254.169.254 with 403.
// That is no instance at all, so the chain goes on to list what it tried.
TEST_F(InstanceMetadataCredentialsTest, ProxyRefusingBothVersionsIsNotConfigured) {
  LoopbackHttpServer server(testing::Script({{.status = 403, .body = "resolve_deny"}}));
  auto credentials = Provider(server)->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_TRUE(IsNotConfigured(credentials.error())) << credentials.error().ToString();
  EXPECT_NE(credentials.error().message.find("IMDSv2 and IMDSv1 both refused with HTTP 403"),
            std::string::npos)
      << credentials.error().message;
}

TEST_F(InstanceMetadataCredentialsTest, CodeOtherThanSuccessIsAnError) {
  FakeImds imds;
  imds.credentials =
      R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"cannot assume","LastUpdated":"x"})";
  LoopbackHttpServer server(imds.Handler());

  auto credentials = Provider(server)->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind, ErrorKind::kCredentials);
  EXPECT_FALSE(IsNotConfigured(credentials.error()));
  EXPECT_NE(credentials.error().message.find("AssumeRoleUnauthorizedAccess"), std::string::npos)
      << credentials.error().message;
  EXPECT_NE(credentials.error().message.find("role my-role"), std::string::npos)
      << credentials.error().message;
}

TEST_F(InstanceMetadataCredentialsTest, BadEndpointIsAConfigError) {
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "169.254.169.254");
  auto http = std::make_shared<FakeHttpClient>();
  auto credentials = InstanceMetadataCredentials(&env_, http, &clock_)->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind, ErrorKind::kConfig);
  EXPECT_EQ(http->request_count(), 0u);
}

}  // namespace
}  // namespace sluice
