// ECS container credentials: which URL is asked (RELATIVE_URI through a fake client, FULL_URI
// against a real loopback server), which FULL_URI hosts are refused, the Authorization token
// and its file, retries and error messages; and ParseMetadataCredentials.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "sluice/aws/credentials/credential_sources.h"
#include "sluice/util/time_format.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/loopback_http_server.h"

namespace sluice {
namespace {

using ::sluice::testing::FakeHttpClient;
using ::sluice::testing::LoopbackHttpServer;
using ::sluice::testing::Script;

constexpr char kCredentialsJson[] = R"({
  "RoleArn": "arn:aws:iam::123456789012:role/task",
  "AccessKeyId": "ASIAEXAMPLE",
  "SecretAccessKey": "secret-key-example",
  "Token": "session-token-example",
  "Expiration": "2030-01-02T03:04:05Z"
})";

std::shared_ptr<HttpClient> CurlClient() { return MakeCurlHttpClient({}); }

// A temporary file that is removed when the test ends.
class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/sluice-ecs-token-XXXXXX";
    int fd = ::mkstemp(name);
    EXPECT_GE(fd, 0);
    ::close(fd);
    path_ = name;
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void Write(const std::string& content) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << content;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(EcsContainerCredentialsTest, RelativeUriIsAskedOfTheEcsAgentAddress) {
  auto http = std::make_shared<FakeHttpClient>();
  http->Enqueue(200, kCredentialsJson);
  MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc-123"}};

  auto credentials = EcsContainerCredentials(&env, http)->Resolve();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  HttpRequest sent = http->last_request();
  EXPECT_EQ(sent.method, "GET");
  EXPECT_EQ(sent.endpoint, "http://169.254.170.2");
  EXPECT_EQ(sent.path, "/v2/credentials/abc-123");
  EXPECT_EQ(sent.query, "");
  ASSERT_NE(FindHeader(sent.headers, "host"), nullptr);
  EXPECT_EQ(*FindHeader(sent.headers, "host"), "169.254.170.2");
  EXPECT_EQ(FindHeader(sent.headers, "authorization"), nullptr);
}

TEST(EcsContainerCredentialsTest, RelativeUriCannotChangeTheHost) {
  auto http = std::make_shared<FakeHttpClient>();
  http->Enqueue(200, kCredentialsJson);
  MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "@evil.example/creds?x=1"}};

  ASSERT_TRUE(EcsContainerCredentials(&env, http)->Resolve().ok());
  HttpRequest sent = http->last_request();
  EXPECT_EQ(sent.endpoint, "http://169.254.170.2");
  EXPECT_EQ(sent.path, "/@evil.example/creds");
  EXPECT_EQ(sent.query, "x=1");
}

TEST(EcsContainerCredentialsTest, RelativeUriWinsOverFullUri) {
  auto http = std::make_shared<FakeHttpClient>();
  http->Enqueue(200, kCredentialsJson);
  MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/rel"},
                     {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/full"}};

  ASSERT_TRUE(EcsContainerCredentials(&env, http)->Resolve().ok());
  EXPECT_EQ(http->last_request().endpoint, "http://169.254.170.2");
  EXPECT_EQ(http->last_request().path, "/rel");
}

TEST(EcsContainerCredentialsTest, FullUriOnLoopbackReturnsTheCredentials) {
  LoopbackHttpServer server(Script({{.status = 200, .body = kCredentialsJson}}));
  MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.endpoint() + "/creds?id=7"},
                     {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc"}};

  auto credentials = EcsContainerCredentials(&env, CurlClient())->Resolve();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->access_key_id, "ASIAEXAMPLE");
  EXPECT_EQ(credentials->secret_access_key, "secret-key-example");
  EXPECT_EQ(credentials->session_token, "session-token-example");
  EXPECT_EQ(credentials->source, "ecs container credentials");
  ASSERT_TRUE(credentials->expiration.has_value());
  EXPECT_EQ(FormatIso8601(*credentials->expiration), "2030-01-02T03:04:05Z");

  auto received = server.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].method, "GET");
  EXPECT_EQ(received[0].path, "/creds");
  EXPECT_EQ(received[0].query, "id=7");
  ASSERT_NE(received[0].Header("host"), nullptr);
  EXPECT_EQ(*received[0].Header("host"), "127.0.0.1:" + std::to_string(server.port()));
  ASSERT_NE(received[0].Header("authorization"), nullptr);
  EXPECT_EQ(*received[0].Header("authorization"), "Basic abc");
}

TEST(EcsContainerCredentialsTest, TokenFileWinsAndIsReadOnEveryCall) {
  LoopbackHttpServer server(Script({{.status = 200, .body = kCredentialsJson}}));
  TempFile token_file;
  token_file.Write("token-one\n");
  MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.endpoint() + "/creds"},
                     {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "from-variable"},
                     {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.path()}};
  auto provider = EcsContainerCredentials(&env, CurlClient());

  auto first = provider->Resolve();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  token_file.Write("token-two\r\n");  // rotated, as EKS Pod Identity does
  auto second = provider->Resolve();
  ASSERT_TRUE(second.ok()) << second.error().ToString();

  auto received = server.requests();
  ASSERT_EQ(received.size(), 2u);
  ASSERT_NE(received[0].Header("authorization"), nullptr);
  EXPECT_EQ(*received[0].Header("authorization"), "token-one");
  ASSERT_NE(received[1].Header("authorization"), nullptr);
  EXPECT_EQ(*received[1].Header("authorization"), "token-two");
}

TEST(EcsContainerCredentialsTest, MissingTokenFileIsAnError) {
  auto http = std::make_shared<FakeHttpClient>();
  MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"},
                     {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/sluice-token"}};

  auto credentials = EcsContainerCredentials(&env, http)->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind, ErrorKind::kCredentials);
  EXPECT_FALSE(IsNotConfigured(credentials.error()));
  EXPECT_NE(credentials.error().message.find("/nonexistent/sluice-token"), std::string::npos)
      << credentials.error().message;
  EXPECT_EQ(http->request_count(), 0u);
}

TEST(EcsContainerCredentialsTest, TokenWithALineBreakIsRefused) {
  TempFile token_file;
  token_file.Write("good\r\nX-Injected: 1\n");
  MapEnvironment from_file{{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"},
                           {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.path()}};
  MapEnvironment from_variable{{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"},
                               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "good\nX-Injected: 1"}};

  for (const MapEnvironment* env : {&from_file, &from_variable}) {
    auto http = std::make_shared<FakeHttpClient>();
    auto credentials = EcsContainerCredentials(env, http)->Resolve();
    ASSERT_FALSE(credentials.ok());
    EXPECT_EQ(credentials.error().kind, ErrorKind::kCredentials);
    EXPECT_FALSE(IsNotConfigured(credentials.error()));
    EXPECT_NE(credentials.error().message.find("line break"), std::string::npos)
        << credentials.error().message;
    // The token is a secret: the message must not repeat it.
    EXPECT_EQ(credentials.error().message.find("X-Injected"), std::string::npos)
        << credentials.error().message;
    EXPECT_EQ(http->request_count(), 0u);
  }
}

TEST(EcsContainerCredentialsTest, NeitherUriSetIsNotConfigured) {
  auto http = std::make_shared<FakeHttpClient>();
  MapEnvironment env{{"AWS_CONTAINER_AUTHORIZATION_TOKEN", "unused"},
                     {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ""}};

  auto credentials = EcsContainerCredentials(&env, http)->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_TRUE(IsNotConfigured(credentials.error())) << credentials.error().ToString();
  EXPECT_NE(credentials.error().message.find("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
            std::string::npos);
  EXPECT_EQ(http->request_count(), 0u);
}

TEST(EcsContainerCredentialsTest, RefusedFullUriIsAnErrorAndSendsNothing) {
  for (const char* url : {"http://example.com/creds", "http://169.254.169.254/latest"}) {
    auto http = std::make_shared<FakeHttpClient>();
    MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url}};
    auto credentials = EcsContainerCredentials(&env, http)->Resolve();
    ASSERT_FALSE(credentials.ok()) << url;
    EXPECT_EQ(credentials.error().kind, ErrorKind::kCredentials) << url;
    EXPECT_FALSE(IsNotConfigured(credentials.error())) << url;
    EXPECT_NE(credentials.error().message.find(url), std::string::npos)
        << credentials.error().message;
    EXPECT_EQ(http->request_count(), 0u) << url;
  }
}

TEST(EcsContainerCredentialsTest, FullUriThatIsNotAUrlIsAnError) {
  auto http = std::make_shared<FakeHttpClient>();
  MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/creds"}};
  auto credentials = EcsContainerCredentials(&env, http)->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_FALSE(IsNotConfigured(credentials.error()));
  EXPECT_EQ(http->request_count(), 0u);
}

struct UrlCase {
  const char* url;
  bool allowed;
};

TEST(EcsFullUriValidationTest, AllowsHttpsAndOnlyTrustedHttpHosts) {
  const UrlCase cases[] = {
      {"https://example.com/creds", true},
      {"https://169.254.169.254/creds", true},
      {"http://127.0.0.1:8080/creds", true},
      {"http://127.200.3.4/creds", true},
      {"http://localhost/creds", true},
      {"http://LocalHost:51679/creds", true},
      {"http://[::1]:8080/creds", true},
      {"http://[0:0:0:0:0:0:0:1]/creds", true},
      {"http://169.254.170.2/v2/credentials/x", true},
      {"http://169.254.170.23/v1/credentials", true},
      {"http://[fd00:ec2::23]/v1/credentials", true},
      {"http://[FD00:EC2:0::23]/v1/credentials", true},
      {"http://example.com/creds", false},
      {"http://169.254.169.254/latest/meta-data", false},
      {"http://169.254.170.3/creds", false},
      {"http://128.0.0.1/creds", false},
      {"http://127.0.0.1.example.com/creds", false},
      {"http://localhost.example.com/creds", false},
      {"http://[fd00:ec2::254]/creds", false},
      {"http://[::2]/creds", false},
  };
  for (const UrlCase& c : cases) {
    ParsedUrl url;
    ASSERT_TRUE(ParseUrl(c.url, &url)) << c.url;
    Status status = ValidateContainerCredentialsUrl(url);
    EXPECT_EQ(status.ok(), c.allowed) << c.url;
    if (!status.ok()) {
      EXPECT_EQ(status.error().kind, ErrorKind::kCredentials) << c.url;
      EXPECT_NE(status.error().message.find("https"), std::string::npos) << status.error().message;
    }
  }
}

TEST(EcsContainerCredentialsTest, MalformedJsonIsAnError) {
  LoopbackHttpServer server(Script({{.status = 200, .body = "{\"AccessKeyId\": \"AKIA\","}}));
  MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.endpoint() + "/creds"}};

  auto credentials = EcsContainerCredentials(&env, CurlClient())->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_FALSE(IsNotConfigured(credentials.error()));
  EXPECT_NE(credentials.error().message.find("not a JSON object"), std::string::npos)
      << credentials.error().message;
  EXPECT_EQ(server.request_count(), 1u);
}

TEST(EcsContainerCredentialsTest, ServerErrorIsRetried) {
  LoopbackHttpServer server(Script(
      {{.status = 500, .body = "agent restarting"}, {.status = 200, .body = kCredentialsJson}}));
  MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.endpoint() + "/creds"}};

  auto credentials = EcsContainerCredentials(&env, CurlClient())->Resolve();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->access_key_id, "ASIAEXAMPLE");
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(EcsContainerCredentialsTest, PersistentServerErrorGivesUpAfterThreeAttempts) {
  LoopbackHttpServer server(Script({{.status = 503}}));
  MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.endpoint() + "/creds"}};

  auto credentials = EcsContainerCredentials(&env, CurlClient())->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind, ErrorKind::kCredentials);
  EXPECT_TRUE(credentials.error().retryable);
  EXPECT_NE(credentials.error().message.find("HTTP 503"), std::string::npos)
      << credentials.error().message;
  EXPECT_EQ(server.request_count(), 3u);
}

TEST(EcsContainerCredentialsTest, RefusalNamesTheUrlTheStatusAndTheMessage) {
  LoopbackHttpServer server(
      Script({{.status = 403,
               .body = R"({"code":"AccessDenied","message":"task role\nnot assumable"})"}}));
  MapEnvironment env{
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.endpoint() + "/creds?secret=hush"}};

  auto credentials = EcsContainerCredentials(&env, CurlClient())->Resolve();
  ASSERT_FALSE(credentials.ok());
  const Error& e = credentials.error();
  EXPECT_EQ(e.kind, ErrorKind::kCredentials);
  EXPECT_FALSE(IsNotConfigured(e));
  EXPECT_FALSE(e.retryable);
  std::string line = e.ToString();
  EXPECT_NE(line.find(server.endpoint() + "/creds"), std::string::npos) << line;
  EXPECT_NE(line.find("403"), std::string::npos) << line;
  EXPECT_NE(line.find("task role not assumable"), std::string::npos) << line;
  EXPECT_EQ(line.find("hush"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(server.request_count(), 1u);  // a refusal is not retried
}

TEST(EcsContainerCredentialsTest, UnreachableEndpointIsAFailureNotAFallThrough) {
  std::string endpoint;
  {
    LoopbackHttpServer server(Script({}));
    endpoint = server.endpoint();
  }  // closed: connections to its port are refused now
  MapEnvironment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint + "/creds"}};

  auto credentials = EcsContainerCredentials(&env, CurlClient())->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind, ErrorKind::kCredentials);
  EXPECT_FALSE(IsNotConfigured(credentials.error()));
  EXPECT_NE(credentials.error().message.find(endpoint + "/creds"), std::string::npos)
      << credentials.error().message;
}

TEST(EcsContainerCredentialsTest, NameSaysWhatItIs) {
  MapEnvironment env;
  EXPECT_EQ(EcsContainerCredentials(&env, std::make_shared<FakeHttpClient>())->Name(),
            "ecs container credentials");
}

TEST(ParseMetadataCredentialsTest, ReadsEveryField) {
  auto credentials = ParseMetadataCredentials(kCredentialsJson, "somewhere");
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->access_key_id, "ASIAEXAMPLE");
  EXPECT_EQ(credentials->secret_access_key, "secret-key-example");
  EXPECT_EQ(credentials->session_token, "session-token-example");
  EXPECT_EQ(credentials->source, "somewhere");
  ASSERT_TRUE(credentials->expiration.has_value());
  EXPECT_EQ(*credentials->expiration, *ParseIso8601("2030-01-02T03:04:05Z"));
}

TEST(ParseMetadataCredentialsTest, SuccessCodeAndNoExpirationAreFine) {
  auto credentials = ParseMetadataCredentials(
      R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"A","SecretAccessKey":"S"})", "imds");
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->session_token, "");
  EXPECT_FALSE(credentials->expiration.has_value());
}

TEST(ParseMetadataCredentialsTest, CodeOtherThanSuccessIsAnError) {
  auto credentials = ParseMetadataCredentials(
      R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role",
          "AccessKeyId":"A","SecretAccessKey":"S"})",
      "ec2 instance metadata (role r)");
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind, ErrorKind::kCredentials);
  EXPECT_FALSE(IsNotConfigured(credentials.error()));
  const std::string& message = credentials.error().message;
  EXPECT_NE(message.find("ec2 instance metadata (role r)"), std::string::npos) << message;
  EXPECT_NE(message.find("AssumeRoleUnauthorizedAccess"), std::string::npos) << message;
  EXPECT_NE(message.find("EC2 cannot assume the role"), std::string::npos) << message;
}

TEST(ParseMetadataCredentialsTest, BadAnswersAreErrorsThatDoNotLeakTheSecret) {
  const char* bodies[] = {
      "",
      "not json",
      "[1, 2]",
      R"({"AccessKeyId":"A"})",
      R"({"AccessKeyId":"A","SecretAccessKey":42})",
      R"({"AccessKeyId":"A","SecretAccessKey":"very-secret","Expiration":"tomorrow"})",
  };
  for (const char* body : bodies) {
    auto credentials = ParseMetadataCredentials(body, "src");
    ASSERT_FALSE(credentials.ok()) << body;
    EXPECT_FALSE(IsNotConfigured(credentials.error())) << body;
    EXPECT_EQ(credentials.error().message.rfind("src: ", 0), 0u) << credentials.error().message;
    EXPECT_EQ(credentials.error().message.find("very-secret"), std::string::npos)
        << credentials.error().message;
  }
}

}  // namespace
}  // namespace sluice
