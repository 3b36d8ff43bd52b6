// EcrClient against moto's ECR API: the registry login (a token that decodes to user AWS), making
// sure a repository exists (twice is fine), the registry's region through WithRegion, and
// AWS_ENDPOINT_URL_ECR. The same calls again with moto checking SigV4 signatures.
#include <gtest/gtest.h>

#include <cctype>

#include "sluice/services/default_client_context.h"
#include "sluice/services/ecr_client.h"
#include "sluice/util/time_format.h"
#include "tests/peers/peers.h"

namespace sluice {
namespace {

template <bool kVerify>
class EcrTestBase : public testing::MotoSuiteTest<kVerify> {
 protected:
  using testing::MotoSuiteTest<kVerify>::moto_;
  std::unique_ptr<EcrClient> Client(std::shared_ptr<const ClientContext> context = nullptr) {
    auto client = EcrClient::Make(context ? std::move(context) : moto_->Context());
    EXPECT_TRUE(client.ok()) << client.error().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }
  // A repository name of this test's own: the suite shares one moto.
  static std::string RepositoryName(const std::string& suffix) {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(kVerify ? "signed-" : "plain-") + test->name() + "/" + suffix;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name;
  }

  void GetsATokenForUserAws() {
    auto client = Client();
    ASSERT_NE(client, nullptr);
    auto auth = client->GetAuthorizationToken("");
    ASSERT_TRUE(auth.ok()) << auth.error().ToString() << "\n" << moto_->LogTail();
    EXPECT_EQ(auth->username, "AWS");
    EXPECT_FALSE(auth->password.empty());
    EXPECT_EQ(auth->proxy_endpoint.rfind("https://", 0), 0u) << auth->proxy_endpoint;
    EXPECT_NE(auth->proxy_endpoint.find(".dkr.ecr.us-east-1.amazonaws.com"), std::string::npos)
        << auth->proxy_endpoint;
    // moto answers a fixed expiresAt (2015-01-01, not 12 hours ahead as ECR does): check that
    // it was read as epoch seconds.
    ASSERT_TRUE(auth->expires_at.has_value());
    EXPECT_GT(*auth->expires_at, *ParseIso8601("2014-01-01T00:00:00Z"));
    EXPECT_LT(*auth->expires_at, *ParseIso8601("2100-01-01T00:00:00Z"));

    auto for_account = client->GetAuthorizationToken(moto_->account_id());
    ASSERT_TRUE(for_account.ok()) << for_account.error().ToString();
    EXPECT_NE(for_account->proxy_endpoint.find(moto_->account_id()), std::string::npos)
        << for_account->proxy_endpoint;
  }

  void CreatesRepositoriesIdempotently() {
    auto client = Client();
    ASSERT_NE(client, nullptr);
    std::string name = RepositoryName("app");
    auto before = client->RepositoryExists("", name);
    ASSERT_TRUE(before.ok()) << before.error().ToString();
    EXPECT_FALSE(*before);
    Status created = client->CreateRepository("", name);
    ASSERT_TRUE(created.ok()) << created.error().ToString();
    Status again = client->CreateRepository(moto_->account_id(), name);
    EXPECT_TRUE(again.ok()) << again.error().ToString();
    auto after = client->RepositoryExists(moto_->account_id(), name);
    ASSERT_TRUE(after.ok()) << after.error().ToString();
    EXPECT_TRUE(*after);
    auto other = client->RepositoryExists("", RepositoryName("other"));
    ASSERT_TRUE(other.ok()) << other.error().ToString();
    EXPECT_FALSE(*other);
  }
};

using EcrTest = EcrTestBase<false>;
using SignedEcrTest = EcrTestBase<true>;

TEST_F(EcrTest, GetAuthorizationTokenDecodesToUserAws) { GetsATokenForUserAws(); }
TEST_F(SignedEcrTest, GetAuthorizationTokenDecodesToUserAws) { GetsATokenForUserAws(); }

TEST_F(EcrTest, CreateRepositoryTwiceAndRepositoryExists) { CreatesRepositoriesIdempotently(); }
TEST_F(SignedEcrTest, CreateRepositoryTwiceAndRepositoryExists) {
  CreatesRepositoriesIdempotently();
}

TEST_F(SignedEcrTest, AWrongSecretIsRefused) {
  Credentials wrong = moto_->credentials();
  wrong.secret_access_key += "x";
  auto client = Client(moto_->Context(&wrong));
  ASSERT_NE(client, nullptr);
  auto auth = client->GetAuthorizationToken("");
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.error().code, "SignatureDoesNotMatch") << auth.error().ToString();
}

TEST_F(EcrTest, WithRegionTalksToTheRegistrysRegion) {
  auto context = moto_->Context();
  ASSERT_NE(context, nullptr);
  auto eu = Client(WithRegion(context, "eu-west-1"));
  auto us = Client(context);
  ASSERT_NE(eu, nullptr);
  ASSERT_NE(us, nullptr);
  std::string name = RepositoryName("app");
  Status created = eu->CreateRepository("", name);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  auto in_eu = eu->RepositoryExists("", name);
  auto in_us = us->RepositoryExists("", name);
  ASSERT_TRUE(in_eu.ok() && in_us.ok());
  EXPECT_TRUE(*in_eu);
  EXPECT_FALSE(*in_us);  // moto keeps each region's repositories apart, as ECR does
  auto auth = eu->GetAuthorizationToken("");
  ASSERT_TRUE(auth.ok()) << auth.error().ToString();
  EXPECT_NE(auth->proxy_endpoint.find(".dkr.ecr.eu-west-1.amazonaws.com"), std::string::npos)
      << auth->proxy_endpoint;
}

TEST_F(EcrTest, AwsEndpointUrlEcrIsRespected) {
  MapEnvironment env{{"HOME", "/nonexistent"},
                     {"AWS_CONFIG_FILE", "/nonexistent/config"},
                     {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"},
                     {"AWS_EC2_METADATA_DISABLED", "true"},
                     {"AWS_ENDPOINT_URL_ECR", moto_->endpoint()}};
  ClientOptions options;
  options.region = "us-east-1";
  options.env = &env;
  options.credentials = StaticCredentials(moto_->credentials());
  auto context = MakeClientContext(options);
  ASSERT_TRUE(context.ok()) << context.error().ToString();
  auto client = Client(*context);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->service().endpoint().source, "AWS_ENDPOINT_URL_ECR");
  auto auth = client->GetAuthorizationToken("");
  ASSERT_TRUE(auth.ok()) << auth.error().ToString();
  EXPECT_EQ(auth->username, "AWS");
  Status created = client->CreateRepository("", RepositoryName("app"));
  EXPECT_TRUE(created.ok()) << created.error().ToString();
}

}  // namespace
}  // namespace sluice
