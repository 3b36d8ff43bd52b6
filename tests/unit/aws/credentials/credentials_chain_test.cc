// The credential sources that need no network (environment, profile, credential_process, web
// identity with a scripted STS), the chain's order and its error, and the cache's refresh rules,
// with a fake clock.
#include "sluice/aws/credentials/credentials_chain.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <mutex>

#include "sluice/aws/credentials/credential_sources.h"
#include "sluice/util/time_format.h"
#include "tests/support/child_process.h"
#include "tests/support/fake_clock.h"

namespace sluice {
namespace {


// Records what the credential sources ask STS and answers with numbered credentials.
class ScriptedSts : public StsApi {
 public:
  struct Call {
    std::string operation;
    AssumeRoleParams params;
    std::string signed_with;  // access key of the source credentials, "" when unsigned
  };
  Result<Credentials> AssumeRole(const AssumeRoleParams& params) override {
    return Answer("AssumeRole", params);
  }
  Result<Credentials> AssumeRoleWithWebIdentity(const AssumeRoleParams& params) override {
    return Answer("AssumeRoleWithWebIdentity", params);
  }

  std::shared_ptr<std::vector<Call>> calls = std::make_shared<std::vector<Call>>();
  std::string signed_with;
  std::optional<Error> fail;
  std::shared_ptr<int> fail_left;  // null: `fail` every time; else only this many times
  SystemTime expiration;

 private:
  Result<Credentials> Answer(std::string operation, const AssumeRoleParams& params) {
    calls->push_back({operation, params, signed_with});
    if (fail && (!fail_left || (*fail_left)-- > 0)) return *fail;
    Credentials c{"ASIA" + std::to_string(calls->size()), "role-secret", "role-token", expiration,
                  operation + " " + params.role_arn};
    return c;
  }
};

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-credentials-");
    env_.Set("HOME", dir_);
    env_.Set("AWS_CONFIG_FILE", dir_ + "/config");
    env_.Set("AWS_SHARED_CREDENTIALS_FILE", dir_ + "/credentials");
    env_.Set("AWS_EC2_METADATA_DISABLED", "true");
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  // The chain over the files written so far; STS calls are answered by a ScriptedSts.
  std::shared_ptr<CredentialsProvider> Chain(const std::string& profile = "default") {
    auto loaded = SharedConfig::Load(env_);
    EXPECT_TRUE(loaded.ok()) << loaded.error().ToString();
    config_ = std::move(loaded).value();
    CredentialsContext context;
    context.env = &env_;
    context.config = &config_;
    context.profile = profile;
    context.region = "eu-west-1";
    context.clock = &clock_;
    auto calls = sts_calls_;
    auto fail = sts_fail_;
    auto fail_left = sts_fail_left_;
    auto expiration = clock_.now + std::chrono::hours(1);
    context.make_sts = [calls, fail, fail_left, expiration](
                           std::shared_ptr<CredentialsProvider> source, const std::string&) {
      auto sts = std::make_unique<ScriptedSts>();
      sts->calls = calls;
      sts->fail = fail;
      sts->fail_left = fail_left;
      sts->expiration = expiration;
      if (source) {
        auto c = source->Resolve();
        sts->signed_with = c.ok() ? c->access_key_id : "<source failed>";
      }
      return sts;
    };
    return MakeDefaultCredentialsChain(context);
  }

  std::string dir_;
  MapEnvironment env_;
  SharedConfig config_;
  testing::FakeClock clock_;
  std::shared_ptr<std::vector<ScriptedSts::Call>> sts_calls_ =
      std::make_shared<std::vector<ScriptedSts::Call>>();
  std::optional<Error> sts_fail_;
  std::shared_ptr<int> sts_fail_left_;
};

TEST_F(CredentialsTest, EnvironmentComesFirst) {
  env_.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env_.Set("AWS_SECRET_ACCESS_KEY", "env-secret");
  env_.Set("AWS_SESSION_TOKEN", "env-token");
  testing::WriteFile(dir_ + "/credentials",
                     "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  auto c = Chain()->Resolve();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  EXPECT_EQ(c->session_token, "env-token");
  EXPECT_EQ(c->source, "environment variables");
}

TEST_F(CredentialsTest, HalfSetEnvironmentIsAnErrorNotAFallThrough) {
  env_.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  testing::WriteFile(dir_ + "/credentials",
                     "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  auto c = Chain()->Resolve();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos)
      << c.error().message;
}

TEST_F(CredentialsTest, ProfileStaticKeysFromTheCredentialsFile) {
  testing::WriteFile(dir_ + "/credentials",
                     "[ci]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n"
                     "aws_session_token = file-token\n");
  auto c = Chain("ci")->Resolve();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDFILE");
  EXPECT_EQ(c->secret_access_key, "file-secret");
  EXPECT_EQ(c->session_token, "file-token");
  EXPECT_EQ(c->source, "profile ci");
}

TEST_F(CredentialsTest, WebIdentityFromTheEnvironmentReadsTheTokenFile) {
  testing::WriteFile(dir_ + "/token", "header.payload.signature\n");
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", dir_ + "/token");
  env_.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod");
  env_.Set("AWS_ROLE_SESSION_NAME", "pod-1");
  auto c = Chain()->Resolve();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ASIA1");
  ASSERT_EQ(sts_calls_->size(), 1u);
  const auto& call = (*sts_calls_)[0];
  EXPECT_EQ(call.operation, "AssumeRoleWithWebIdentity");
  EXPECT_EQ(call.params.web_identity_token, "header.payload.signature");
  EXPECT_EQ(call.params.role_arn, "arn:aws:iam::123456789012:role/pod");
  EXPECT_EQ(call.params.role_session_name, "pod-1");
  EXPECT_EQ(call.signed_with, "");
}

// CI OIDC tokens race the provider's keys: STS answers InvalidIdentityToken for a moment.
// Before the fix the first such answer failed the run.
TEST_F(CredentialsTest, WebIdentityRetriesInvalidIdentityTokenAndIdpCommunicationError) {
  testing::WriteFile(dir_ + "/token", "header.payload.signature\n");
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", dir_ + "/token");
  env_.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci");
  for (std::string code : {"InvalidIdentityToken", "IDPCommunicationError"}) {
    SCOPED_TRACE(code);
    sts_calls_->clear();
    clock_.sleeps.clear();
    Error e;
    e.code = code;
    e.http_status = 400;
    e.message = "token not valid yet";
    sts_fail_ = e;
    sts_fail_left_ = std::make_shared<int>(2);
    auto c = Chain()->Resolve();
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    EXPECT_EQ(sts_calls_->size(), 3u);
    EXPECT_EQ(clock_.sleeps, (std::vector<std::chrono::milliseconds>{
                                 std::chrono::milliseconds(500), std::chrono::milliseconds(1000)}));
  }
  sts_calls_->clear();
  sts_fail_left_ = std::make_shared<int>(100);  // never recovers: four attempts, then the error
  auto c = Chain()->Resolve();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(sts_calls_->size(), 4u);
  EXPECT_NE(c.error().message.find("IDPCommunicationError"), std::string::npos) << c.error().message;

  sts_calls_->clear();
  Error denied;
  denied.code = "AccessDenied";
  sts_fail_ = denied;
  sts_fail_left_ = nullptr;
  EXPECT_FALSE(Chain()->Resolve().ok());
  EXPECT_EQ(sts_calls_->size(), 1u);  // not retried
}

TEST_F(CredentialsTest, MissingWebIdentityTokenFileIsAClearError) {
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", dir_ + "/no-such-token");
  env_.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod");
  auto c = Chain()->Resolve();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("no-such-token cannot be read"), std::string::npos)
      << c.error().message;
}

TEST_F(CredentialsTest, RoleArnWithSourceProfileAssumesTheRoleWithTheSourceKeys) {
  testing::WriteFile(dir_ + "/credentials",
                     "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n");
  testing::WriteFile(dir_ + "/config",
                     "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deployer\n"
                     "source_profile = base\nexternal_id = ext-7\nduration_seconds = 900\n"
                     "role_session_name = ci\n");
  auto c = Chain("deploy")->Resolve();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ASIA1");
  ASSERT_EQ(sts_calls_->size(), 1u);
  const auto& call = (*sts_calls_)[0];
  EXPECT_EQ(call.operation, "AssumeRole");
  EXPECT_EQ(call.signed_with, "AKIDBASE");
  EXPECT_EQ(call.params.external_id, "ext-7");
  EXPECT_EQ(call.params.duration_seconds, 900);
  EXPECT_EQ(call.params.role_session_name, "ci");
}

TEST_F(CredentialsTest, RolesChainThroughSourceProfiles) {
  testing::WriteFile(dir_ + "/config",
                     "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = b\n"
                     "[profile first]\nrole_arn = arn:aws:iam::1:role/first\nsource_profile = base\n"
                     "[profile second]\nrole_arn = arn:aws:iam::2:role/second\n"
                     "source_profile = first\n");
  auto c = Chain("second")->Resolve();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  ASSERT_EQ(sts_calls_->size(), 2u);
  EXPECT_EQ((*sts_calls_)[0].params.role_arn, "arn:aws:iam::1:role/first");
  EXPECT_EQ((*sts_calls_)[0].signed_with, "AKIDBASE");
  EXPECT_EQ((*sts_calls_)[1].params.role_arn, "arn:aws:iam::2:role/second");
  EXPECT_EQ((*sts_calls_)[1].signed_with, "ASIA1");
}

TEST_F(CredentialsTest, SourceProfileLoopIsAnError) {
  testing::WriteFile(dir_ + "/config",
                     "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
                     "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n");
  auto c = Chain("a")->Resolve();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("loop"), std::string::npos) << c.error().message;
  EXPECT_TRUE(sts_calls_->empty());
}

TEST_F(CredentialsTest, CredentialSourceEnvironment) {
  env_.Set("AWS_CONFIG_FILE", dir_ + "/config");
  testing::WriteFile(dir_ + "/config",
                     "[profile r]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\n");
  // The environment keys are the role's source, not the chain's answer: AWS_PROFILE-selected
  // roles are only reached when the environment has no keys, so use the source alone here.
  auto loaded = SharedConfig::Load(env_);
  ASSERT_TRUE(loaded.ok());
  config_ = std::move(loaded).value();
  env_.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env_.Set("AWS_SECRET_ACCESS_KEY", "e");
  CredentialsContext context{&env_, &config_, "r", "eu-west-1", nullptr, &clock_, {}};
  auto calls = sts_calls_;
  context.make_sts = [calls](std::shared_ptr<CredentialsProvider> source, const std::string&) {
    auto sts = std::make_unique<ScriptedSts>();
    sts->calls = calls;
    sts->signed_with = source->Resolve()->access_key_id;
    return sts;
  };
  auto c = ProfileCredentials(context)->Resolve();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  ASSERT_EQ(sts_calls_->size(), 1u);
  EXPECT_EQ((*sts_calls_)[0].signed_with, "AKIDENV");
}

TEST_F(CredentialsTest, UnknownCredentialSourceIsAnError) {
  testing::WriteFile(dir_ + "/config",
                     "[default]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Laptop\n");
  auto c = Chain()->Resolve();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("credential_source must be"), std::string::npos);
}

TEST_F(CredentialsTest, FailedAssumeRoleNamesTheRoleAndTheReason) {
  testing::WriteFile(dir_ + "/config",
                     "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n"
                     "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = b\n");
  Error denied;
  denied.code = "AccessDenied";
  denied.message = "not authorized to perform sts:AssumeRole";
  denied.http_status = 403;
  sts_fail_ = denied;
  auto c = Chain()->Resolve();
  ASSERT_FALSE(c.ok());
  std::string line = c.error().ToString();
  EXPECT_NE(line.find("assuming role arn:aws:iam::1:role/r with the credentials from profile base"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("AccessDenied"), std::string::npos) << line;
}

TEST_F(CredentialsTest, CredentialProcessIsRunAndItsFailureReported) {
  std::string good = dir_ + "/good.sh";
  testing::WriteFile(good,
                     "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
                     "\"SecretAccessKey\": \"p\", \"SessionToken\": \"t\", "
                     "\"Expiration\": \"2026-01-01T01:00:00Z\"}'\n");
  chmod(good.c_str(), 0755);
  std::string bad = dir_ + "/bad.sh";
  testing::WriteFile(bad, "#!/bin/sh\necho 'token expired: run sso login' >&2\nexit 3\n");
  chmod(bad.c_str(), 0755);
  testing::WriteFile(dir_ + "/config", "[profile good]\ncredential_process = " + good +
                                           "\n[profile bad]\ncredential_process = " + bad + "\n");
  auto c = Chain("good")->Resolve();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDPROC");
  ASSERT_TRUE(c->expiration.has_value());
  EXPECT_EQ(FormatIso8601(*c->expiration), "2026-01-01T01:00:00Z");

  auto failed = Chain("bad")->Resolve();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message,
            "credential_process of profile bad exited with status 3: token expired: run sso login");
}

TEST(ProcessCredentialsParseTest, RejectsWhatTheSpecDoesNotAllow) {
  EXPECT_FALSE(ParseProcessCredentials("not json", "p").ok());
  EXPECT_FALSE(ParseProcessCredentials(R"({"Version": 2, "AccessKeyId": "a",
                                           "SecretAccessKey": "b"})", "p").ok());
  EXPECT_FALSE(ParseProcessCredentials(R"({"Version": 1, "AccessKeyId": "a"})", "p").ok());
  EXPECT_FALSE(ParseProcessCredentials(R"({"Version": 1, "AccessKeyId": "a",
                                           "SecretAccessKey": "b", "Expiration": "soon"})", "p")
                   .ok());
  auto ok = ParseProcessCredentials(R"({"Version": 1, "AccessKeyId": "a", "SecretAccessKey": "b"})",
                                    "p");
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->expiration.has_value());
}

TEST_F(CredentialsTest, NothingAnywhereListsEverySourceOnOneLine) {
  auto c = Chain()->Resolve();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kCredentials);
  const std::string& m = c.error().message;
  for (const char* expected : {"AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", "profile default",
                               "AWS_CONTAINER_CREDENTIALS", "AWS_EC2_METADATA_DISABLED"}) {
    EXPECT_NE(m.find(expected), std::string::npos) << expected << " missing from: " << m;
  }
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_EQ(m.find("not configured:"), std::string::npos) << m;
}

TEST_F(CredentialsTest, SsoProfileSaysHowToUseIt) {
  testing::WriteFile(dir_ + "/config", "[profile sso]\nsso_session = corp\nsso_account_id = 1\n");
  auto c = Chain("sso")->Resolve();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("aws configure export-credentials --profile sso"),
            std::string::npos)
      << c.error().message;
}

// A provider whose answers are scripted, counting calls.
class CountingProvider : public CredentialsProvider {
 public:
  Result<Credentials> Resolve() override {
    std::lock_guard lock(mutex);
    ++calls;
    if (fail) return Error::Credentials("endpoint down");
    return Credentials{"ASIA" + std::to_string(calls), "s", "t", expiration, "counting"};
  }
  std::string Name() const override { return "counting"; }
  std::mutex mutex;
  int calls = 0;
  bool fail = false;
  std::optional<SystemTime> expiration;
};

TEST(CachingCredentialsTest, RefreshesFiveMinutesBeforeExpiry) {
  testing::FakeClock clock;
  auto inner = std::make_shared<CountingProvider>();
  inner->expiration = clock.now + std::chrono::hours(1);
  auto cached = CachingCredentials(inner, &clock);
  EXPECT_EQ(cached->Resolve()->access_key_id, "ASIA1");
  clock.now += std::chrono::minutes(54);
  EXPECT_EQ(cached->Resolve()->access_key_id, "ASIA1");
  EXPECT_EQ(inner->calls, 1);
  clock.now += std::chrono::minutes(1) + std::chrono::seconds(1);  // 4:59 left
  inner->expiration = clock.now + std::chrono::hours(1);
  EXPECT_EQ(cached->Resolve()->access_key_id, "ASIA2");
  EXPECT_EQ(inner->calls, 2);
}

TEST(CachingCredentialsTest, LongTermKeysAreFetchedOnce) {
  testing::FakeClock clock;
  auto inner = std::make_shared<CountingProvider>();
  auto cached = CachingCredentials(inner, &clock);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(cached->Resolve().ok());
    clock.now += std::chrono::hours(24);
  }
  EXPECT_EQ(inner->calls, 1);
}

TEST(CachingCredentialsTest, FailedRefreshKeepsValidCredentialsThenGivesUpAtExpiry) {
  testing::FakeClock clock;
  auto inner = std::make_shared<CountingProvider>();
  inner->expiration = clock.now + std::chrono::hours(1);
  auto cached = CachingCredentials(inner, &clock);
  ASSERT_TRUE(cached->Resolve().ok());
  inner->fail = true;
  clock.now += std::chrono::minutes(58);
  auto still = cached->Resolve();
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->access_key_id, "ASIA1");
  clock.now += std::chrono::minutes(3);  // past expiry
  EXPECT_FALSE(cached->Resolve().ok());
}

TEST(CachingCredentialsTest, ShortLivedCredentialsAreNotFetchedOnEveryCall) {
  testing::FakeClock clock;
  auto inner = std::make_shared<CountingProvider>();
  inner->expiration = clock.now + std::chrono::minutes(2);  // shorter than the 5 min margin
  auto cached = CachingCredentials(inner, &clock);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(cached->Resolve().ok());
  EXPECT_EQ(inner->calls, 1);
}

}  // namespace
}  // namespace sluice
