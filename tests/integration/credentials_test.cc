// Credential sources that call STS, against moto's STS: a profile with role_arn +
// source_profile (AssumeRole), web identity (AssumeRoleWithWebIdentity), and
// credential_process; each proves itself by the identity GetCallerIdentity reports.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "sluice/aws/client_context.h"
#include "sluice/services/default_client_context.h"
#include "sluice/services/sts_client.h"
#include "tests/peers/peers.h"

namespace sluice {
namespace {

using testing::MotoServer;

class StsCredentialsTest : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    ASSERT_NE(moto_, nullptr) << "moto_server did not start";
    dir_ = testing::MakeTempDir("sluice-creds-");
    env_.Set("HOME", dir_);
    env_.Set("AWS_CONFIG_FILE", dir_ + "/config");
    env_.Set("AWS_SHARED_CREDENTIALS_FILE", dir_ + "/credentials");
    env_.Set("AWS_REGION", "us-east-1");
    env_.Set("AWS_ENDPOINT_URL", moto_->endpoint());
    env_.Set("AWS_EC2_METADATA_DISABLED", "true");
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  Result<CallerIdentity> WhoAmI() {
    ClientOptions options;
    options.env = &env_;
    auto context = MakeClientContext(options);
    if (!context.ok()) return context.error();
    auto client = ServiceClient::Make(*context, kSts);
    if (!client.ok()) return client.error();
    return StsClient(*client).GetCallerIdentity();
  }

  std::string dir_;
  MapEnvironment env_;
};

TEST_F(StsCredentialsTest, ProfileWithRoleArnAndSourceProfileAssumesTheRole) {
  testing::WriteFile(dir_ + "/credentials",
                     "[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                     "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
  testing::WriteFile(dir_ + "/config",
                     "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deployer\n"
                     "source_profile = base\nrole_session_name = ci-run-7\n");
  env_.Set("AWS_PROFILE", "deploy");
  auto id = WhoAmI();
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  EXPECT_NE(id->arn.find("assumed-role/deployer/ci-run-7"), std::string::npos) << id->arn;
}

TEST_F(StsCredentialsTest, WebIdentityTokenFileAssumesTheRole) {
  testing::WriteFile(dir_ + "/token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2ln");
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", dir_ + "/token");
  env_.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod-role");
  env_.Set("AWS_ROLE_SESSION_NAME", "pod-session");
  auto id = WhoAmI();
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  EXPECT_NE(id->arn.find("assumed-role/pod-role/pod-session"), std::string::npos) << id->arn;
}

TEST_F(StsCredentialsTest, CredentialProcessSuppliesKeys) {
  std::string script = dir_ + "/creds.sh";
  testing::WriteFile(script,
                     "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROCESSEXAMPLE\", "
                     "\"SecretAccessKey\": \"process-secret\"}'\n");
  chmod(script.c_str(), 0755);
  testing::WriteFile(dir_ + "/config", "[default]\ncredential_process = " + script + "\n");
  auto id = WhoAmI();
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  EXPECT_FALSE(id->account.empty());
}

TEST_F(StsCredentialsTest, NoCredentialsAnywhereListsWhatWasTried) {
  auto id = WhoAmI();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().kind, ErrorKind::kCredentials);
  const std::string& m = id.error().message;
  EXPECT_NE(m.find("AWS_ACCESS_KEY_ID"), std::string::npos) << m;
  EXPECT_NE(m.find("profile"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

}  // namespace
}  // namespace sluice
