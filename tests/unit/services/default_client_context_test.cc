// The tools' client context: a profile with role_arn reaches STS through StsClient (signed with
// the source profile's keys), and the core alone, given no STS client maker, says it has none
// instead of failing somewhere deeper.
#include "sluice/services/default_client_context.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sluice/net/http.h"
#include "tests/support/child_process.h"
#include "tests/support/fake_http_client.h"

namespace sluice {
namespace {

using ::sluice::testing::FakeHttpClient;

constexpr char kAssumeRoleResponse[] =
    R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult><Credentials>
    <AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>rolesecret</SecretAccessKey>
    <SessionToken>roletoken</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>
  </Credentials></AssumeRoleResult>
</AssumeRoleResponse>)";

class DefaultClientContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-client-context-");
    testing::WriteFile(dir_ + "/config",
                       "[profile ci]\n"
                       "role_arn = arn:aws:iam::123456789012:role/ci\n"
                       "source_profile = base\n"
                       "[profile base]\n"
                       "aws_access_key_id = AKIDBASE\n"
                       "aws_secret_access_key = basesecret\n");
    env_.Set("HOME", dir_);
    env_.Set("AWS_CONFIG_FILE", dir_ + "/config");
    env_.Set("AWS_SHARED_CREDENTIALS_FILE", dir_ + "/no-credentials");
    env_.Set("AWS_PROFILE", "ci");
    env_.Set("AWS_REGION", "eu-west-1");
    env_.Set("AWS_EC2_METADATA_DISABLED", "true");
    http_->Enqueue(200, kAssumeRoleResponse);
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  ClientOptions Options() {
    ClientOptions options;
    options.env = &env_;
    options.http = http_;
    return options;
  }

  std::string dir_;
  MapEnvironment env_;
  std::shared_ptr<FakeHttpClient> http_ = std::make_shared<FakeHttpClient>();
};

TEST_F(DefaultClientContextTest, ARoleProfileAssumesTheRoleThroughSts) {
  auto context = MakeClientContext(Options());
  ASSERT_TRUE(context.ok()) << context.error().ToString();
  auto credentials = (*context)->credentials->Resolve();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->access_key_id, "ASIAROLE");
  EXPECT_EQ(credentials->session_token, "roletoken");

  ASSERT_EQ(http_->request_count(), 1u);
  HttpRequest request = http_->last_request();
  EXPECT_NE(request.endpoint.find("sts"), std::string::npos) << request.endpoint;
  EXPECT_NE(request.body.find("Action=AssumeRole"), std::string::npos) << request.body;
  EXPECT_NE(request.body.find("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci"),
            std::string::npos)
      << request.body;
  const std::string* authorization = FindHeader(request.headers, "authorization");
  ASSERT_NE(authorization, nullptr);
  EXPECT_NE(authorization->find("Credential=AKIDBASE/"), std::string::npos) << *authorization;
}

TEST_F(DefaultClientContextTest, WithoutAnStsClientMakerARoleProfileSaysSo) {
  auto context = MakeClientContext(Options(), /*make_sts=*/nullptr);
  ASSERT_TRUE(context.ok()) << context.error().ToString();
  auto credentials = (*context)->credentials->Resolve();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind, ErrorKind::kCredentials);
  EXPECT_NE(credentials.error().message.find("no STS client"), std::string::npos)
      << credentials.error().ToString();
  EXPECT_EQ(http_->request_count(), 0u);
}

}  // namespace
}  // namespace sluice
