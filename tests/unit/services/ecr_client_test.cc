// EcrClient with a recording fake HTTP client: the requests it makes (target, body, the region
// it signs for and addresses, also through WithRegion) and how it reads ECR's answers and errors.
#include "sluice/services/ecr_client.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sluice/services/default_client_context.h"
#include "sluice/util/crypto.h"
#include "sluice/util/time_format.h"
#include "tests/support/fake_http_client.h"

namespace sluice {
namespace {

using nlohmann::json;
using ::sluice::testing::FakeHttpClient;

class EcrClientTest : public ::testing::Test {
 protected:
  std::shared_ptr<const ClientContext> Context() {
    ClientOptions options;
    options.region = "us-east-1";
    options.env = &env_;
    options.http = http_;
    options.credentials = StaticCredentials({"AKIDEXAMPLE", "secret", "", {}, "test"});
    options.retry = std::make_shared<RetryPolicy>(
        RetryOptions{.max_attempts = 1}, [] { return 0.0; });
    auto context = MakeClientContext(options);
    EXPECT_TRUE(context.ok()) << context.error().ToString();
    return std::move(context).value();
  }
  std::unique_ptr<EcrClient> Client(std::shared_ptr<const ClientContext> context = nullptr) {
    auto client = EcrClient::Make(context ? context : Context());
    EXPECT_TRUE(client.ok()) << client.error().ToString();
    return std::move(client).value();
  }
  json LastBody() const { return json::parse(http_->last_request().body); }
  std::string LastTarget() const {
    HttpRequest last = http_->last_request();
    const std::string* target = FindHeader(last.headers, "x-amz-target");
    return target ? *target : "";
  }
  static std::string ErrorBody(const std::string& type, const std::string& message) {
    return json{{"__type", type}, {"message", message}}.dump();
  }

  MapEnvironment env_{{"HOME", "/nonexistent"}, {"AWS_CONFIG_FILE", "/nonexistent/c"},
                      {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/k"}};
  std::shared_ptr<FakeHttpClient> http_ = std::make_shared<FakeHttpClient>();
};

TEST_F(EcrClientTest, GetAuthorizationTokenDecodesTheToken) {
  http_->Enqueue(200, json{{"authorizationData",
                            {{{"authorizationToken", Base64Encode("AWS:pa:ss=word")},
                              {"expiresAt", 1714600000.5},
                              {"proxyEndpoint",
                               "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}}}}}
                          .dump());
  auto client = Client();
  auto auth = client->GetAuthorizationToken("123456789012");
  ASSERT_TRUE(auth.ok()) << auth.error().ToString();
  EXPECT_EQ(auth->username, "AWS");
  EXPECT_EQ(auth->password, "pa:ss=word");  // split at the first ':' only
  EXPECT_EQ(auth->proxy_endpoint, "https://123456789012.dkr.ecr.us-east-1.amazonaws.com");
  ASSERT_TRUE(auth->expires_at.has_value());
  EXPECT_EQ(*auth->expires_at, FromEpochSeconds(1714600000.5));

  EXPECT_EQ(LastTarget(), "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken");
  EXPECT_EQ(LastBody(), (json{{"registryIds", {"123456789012"}}}));
  HttpRequest last = http_->last_request();
  EXPECT_EQ(last.endpoint, "https://api.ecr.us-east-1.amazonaws.com");
  const std::string* auth_header = FindHeader(last.headers, "authorization");
  ASSERT_NE(auth_header, nullptr);
  EXPECT_NE(auth_header->find("/us-east-1/ecr/aws4_request"), std::string::npos) << *auth_header;
}

TEST_F(EcrClientTest, GetAuthorizationTokenForTheDefaultRegistrySendsNoIds) {
  http_->Enqueue(200, json{{"authorizationData",
                            {{{"authorizationToken", Base64Encode("AWS:x")},
                              {"proxyEndpoint", "https://1.dkr.ecr.us-east-1.amazonaws.com"}}}}}
                          .dump());
  auto auth = Client()->GetAuthorizationToken("");
  ASSERT_TRUE(auth.ok()) << auth.error().ToString();
  EXPECT_EQ(LastBody(), json::object());
  EXPECT_FALSE(auth->expires_at.has_value());
}

TEST_F(EcrClientTest, MalformedTokensAreParseErrorsThatNeverQuoteTheToken) {
  for (const std::string& token : {std::string("not base64 !!secret"), Base64Encode("nocolonsecret")}) {
    auto auth = ParseAuthorizationData(json{{"authorizationData", {{{"authorizationToken", token}}}}});
    ASSERT_FALSE(auth.ok());
    EXPECT_EQ(auth.error().kind, ErrorKind::kParse);
    EXPECT_EQ(auth.error().ToString().find("secret"), std::string::npos) << auth.error().ToString();
  }
  auto empty = ParseAuthorizationData(json{{"authorizationData", json::array()}});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("no authorizationData"), std::string::npos);
}

TEST_F(EcrClientTest, WithRegionAddressesAndSignsForTheRegistrysRegion) {
  http_->Enqueue(200, json{{"repositories", {{{"repositoryName", "team/app"}}}}}.dump());
  auto context = Context();
  auto client = Client(WithRegion(context, "eu-west-1"));
  auto exists = client->RepositoryExists("", "team/app");
  ASSERT_TRUE(exists.ok()) << exists.error().ToString();
  EXPECT_TRUE(*exists);
  HttpRequest last = http_->last_request();
  EXPECT_EQ(last.endpoint, "https://api.ecr.eu-west-1.amazonaws.com");
  const std::string* auth_header = FindHeader(last.headers, "authorization");
  ASSERT_NE(auth_header, nullptr);
  EXPECT_NE(auth_header->find("/eu-west-1/ecr/aws4_request"), std::string::npos) << *auth_header;
  EXPECT_EQ(context->region, "us-east-1");  // the original is untouched
  EXPECT_EQ(client->service().context().http, context->http);  // and its connections shared
}

TEST_F(EcrClientTest, CreateRepositoryAcceptsAnExistingOne) {
  http_->Enqueue(200, json{{"repository", {{"repositoryName", "team/app"}}}}.dump());
  http_->Enqueue(400, ErrorBody("RepositoryAlreadyExistsException", "exists"));
  http_->Enqueue(400, ErrorBody("InvalidParameterException", "bad name"));
  auto client = Client();
  Status created = client->CreateRepository("123456789012", "team/app");
  EXPECT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_EQ(LastTarget(), "AmazonEC2ContainerRegistry_V20150921.CreateRepository");
  EXPECT_EQ(LastBody(), (json{{"repositoryName", "team/app"}, {"registryId", "123456789012"}}));
  Status again = client->CreateRepository("", "team/app");
  EXPECT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(LastBody(), (json{{"repositoryName", "team/app"}}));
  Status invalid = client->CreateRepository("", "Team App");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, "InvalidParameterException");
}

TEST_F(EcrClientTest, RepositoryExistsIsFalseForNotFoundAndAnErrorOtherwise) {
  http_->Enqueue(400, ErrorBody("RepositoryNotFoundException", "not found"));
  http_->Enqueue(400, ErrorBody("AccessDeniedException", "no"));
  auto client = Client();
  auto missing = client->RepositoryExists("123456789012", "team/app");
  ASSERT_TRUE(missing.ok()) << missing.error().ToString();
  EXPECT_FALSE(*missing);
  EXPECT_EQ(LastTarget(), "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories");
  EXPECT_EQ(LastBody(),
            (json{{"repositoryNames", {"team/app"}}, {"registryId", "123456789012"}}));
  auto denied = client->RepositoryExists("", "team/app");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "AccessDeniedException");
}

}  // namespace
}  // namespace sluice
