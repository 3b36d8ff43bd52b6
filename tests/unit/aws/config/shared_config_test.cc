#include "sluice/aws/config/shared_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/child_process.h"

namespace sluice {
namespace {

// The value of `key` in `profile` of `config`, or "<absent>" so a failure shows what was missing.
std::string ValueOf(const SharedConfig& config, std::string_view profile, std::string_view key) {
  const Profile* p = config.FindProfile(profile);
  if (p == nullptr) return "<no profile>";
  const std::string* v = p->Get(key);
  return v == nullptr ? "<absent>" : *v;
}

TEST(SharedConfigTest, ReadsDefaultAndProfileSectionsOfTheConfigFile) {
  SharedConfig config = SharedConfig::Parse(
      "[default]\n"
      "region = us-east-1\n"
      "\n"
      "[profile dev]\n"
      "Region=eu-west-1\n"
      "OUTPUT   =   json   \n"
      "role_arn: arn:aws:iam::123456789012:role/dev\n",
      "");
  EXPECT_EQ(ValueOf(config, "default", "region"), "us-east-1");
  ASSERT_NE(config.FindProfile("dev"), nullptr);
  EXPECT_EQ(config.FindProfile("dev")->name, "dev");
  EXPECT_EQ(ValueOf(config, "dev", "region"), "eu-west-1");
  EXPECT_EQ(ValueOf(config, "dev", "output"), "json");
  // configparser also splits at ":", and only at the first delimiter.
  EXPECT_EQ(ValueOf(config, "dev", "role_arn"), "arn:aws:iam::123456789012:role/dev");
  EXPECT_EQ(config.FindProfile("profile dev"), nullptr);
}

TEST(SharedConfigTest, OnlyDefaultAndProfileSectionsAreConfigProfiles) {
  SharedConfig config = SharedConfig::Parse(
      "[dev]\nregion = us-west-2\n"
      "[sso-session corp]\nsso_region = us-east-1\n"
      "[services local]\ns3 =\n  endpoint_url = http://127.0.0.1:9000\n"
      "[profile]\nregion = x\n"
      "[profile a b]\nregion = x\n",
      "");
  // (A header's name is trimmed, as the SDKs do: "[ default ]" is the default profile, see
  // ProfileAndSectionNamesAreTrimmed.)
  for (std::string_view name : {"dev", "sso-session corp", "corp", "services local", "local",
                                "profile", "a b", "b", "default"}) {
    EXPECT_EQ(config.FindProfile(name), nullptr) << name;
  }
}

TEST(SharedConfigTest, ProfileNamesAreSplitLikeShellWords) {
  SharedConfig config = SharedConfig::Parse(
      "[profile \"team a\"]\nregion = eu-north-1\n"
      "[profile   spaced  ]\nregion = eu-south-1\n"
      "[profile 'quoted']\nregion = me-south-1\n"
      "[profile \"unterminated]\nregion = x\n",
      "");
  EXPECT_EQ(ValueOf(config, "team a", "region"), "eu-north-1");
  EXPECT_EQ(ValueOf(config, "spaced", "region"), "eu-south-1");
  EXPECT_EQ(ValueOf(config, "quoted", "region"), "me-south-1");
  EXPECT_EQ(config.FindProfile("\"unterminated"), nullptr);
  EXPECT_EQ(config.FindProfile("unterminated"), nullptr);
}

TEST(SharedConfigTest, ProfileDefaultIsTheDefaultProfileAndReplacesDefault) {
  EXPECT_EQ(ValueOf(SharedConfig::Parse("[profile default]\nregion = ap-east-1\n", ""), "default",
                    "region"),
            "ap-east-1");
  // [default] is ignored when [profile default] exists: nothing of it is merged in.
  SharedConfig config = SharedConfig::Parse(
      "[default]\nregion = us-east-1\noutput = json\n"
      "[profile default]\nregion = us-east-2\n",
      "");
  EXPECT_EQ(ValueOf(config, "default", "region"), "us-east-2");
  EXPECT_EQ(ValueOf(config, "default", "output"), "<absent>");
}

// The SDKs' shared parser tests: [profile default] wins over [default] wherever it stands, and
// repeated [profile default] sections merge. Before the fix the later of the two won.
TEST(SharedConfigTest, ProfileDefaultWinsOverDefaultWhereverItStands) {
  SharedConfig first = SharedConfig::Parse("[profile default]\nname = value\n[default]\nname2 = value2\n", "");
  EXPECT_EQ(ValueOf(first, "default", "name"), "value");
  EXPECT_EQ(ValueOf(first, "default", "name2"), "<absent>");
  SharedConfig mixed = SharedConfig::Parse(
      "[profile default]\nname = value\n[default]\nname2 = value2\n[profile default]\nname3 = value3\n",
      "[default]\nsecret = foo\n");
  EXPECT_EQ(ValueOf(mixed, "default", "name"), "value");
  EXPECT_EQ(ValueOf(mixed, "default", "name2"), "<absent>");
  EXPECT_EQ(ValueOf(mixed, "default", "name3"), "value3");
  EXPECT_EQ(ValueOf(mixed, "default", "secret"), "foo");
  // Without a [profile default], [default] is the default profile.
  EXPECT_EQ(ValueOf(SharedConfig::Parse("[default]\nname = v\n", ""), "default", "name"), "v");
}

TEST(SharedConfigTest, ProfileAndSectionNamesAreTrimmed) {
  SharedConfig config = SharedConfig::Parse(
      "[profile \tfoo \t]\nname = a\n[ default ]\nname = b\n[profile\tbar]\nname = c\n"
      "[ services  s1 ]\ns3 =\n  endpoint_url = http://x:1\n",
      "[ cred ]\naws_access_key_id = K\n");
  EXPECT_EQ(ValueOf(config, "foo", "name"), "a");
  EXPECT_EQ(ValueOf(config, "default", "name"), "b");
  EXPECT_EQ(ValueOf(config, "bar", "name"), "c");
  EXPECT_EQ(ValueOf(config, "cred", "aws_access_key_id"), "K");
  ASSERT_NE(config.FindServices("s1"), nullptr);
  EXPECT_EQ(*config.FindServices("s1")->Get("s3.endpoint_url"), "http://x:1");
  EXPECT_EQ(config.FindProfile("services s1"), nullptr);
}

TEST(SharedConfigTest, RepeatedSectionsMergeAndRepeatedKeysTakeTheLastValue) {
  SharedConfig config = SharedConfig::Parse(
      "[profile dev]\nregion = us-east-1\n"
      "[profile other]\nregion = x\n"
      "[profile dev]\noutput = json\nregion = us-east-2\n",
      "");
  EXPECT_EQ(ValueOf(config, "dev", "region"), "us-east-2");
  EXPECT_EQ(ValueOf(config, "dev", "output"), "json");
}

TEST(SharedConfigTest, CredentialsFileSectionsAreBareNamesAndWinOverTheConfigFile) {
  SharedConfig config = SharedConfig::Parse(
      "[profile dev]\n"
      "region = eu-west-1\n"
      "aws_access_key_id = AKIDCONFIG\n",
      "[dev]\n"
      "aws_access_key_id = AKIDCREDS\n"
      "aws_secret_access_key = secret\n"
      "[ci]\n"
      "aws_access_key_id = AKIDCI\n"
      "[profile prod]\n"
      "aws_access_key_id = AKIDPROD\n");
  EXPECT_EQ(ValueOf(config, "dev", "aws_access_key_id"), "AKIDCREDS");
  EXPECT_EQ(ValueOf(config, "dev", "aws_secret_access_key"), "secret");
  EXPECT_EQ(ValueOf(config, "dev", "region"), "eu-west-1");
  // A profile only the credentials file has is still a profile.
  ASSERT_NE(config.FindProfile("ci"), nullptr);
  EXPECT_EQ(config.FindProfile("ci")->name, "ci");
  // The credentials file takes section names as written, as botocore does.
  EXPECT_EQ(ValueOf(config, "profile prod", "aws_access_key_id"), "AKIDPROD");
  EXPECT_EQ(config.FindProfile("prod"), nullptr);
}

TEST(SharedConfigTest, CommentsStartOnlyAtTheBeginningOfALine) {
  SharedConfig config = SharedConfig::Parse(
      "# a comment before any section\n"
      "; another\n"
      "[profile dev]\n"
      "# region = wrong\n"
      "   ; output = wrong\n"
      "region = us-east-1 # production\n"
      "output = json;text\n",
      "");
  // RawConfigParser has no inline comments: the text after the value stays in it, as for `aws`.
  EXPECT_EQ(ValueOf(config, "dev", "region"), "us-east-1 # production");
  EXPECT_EQ(ValueOf(config, "dev", "output"), "json;text");
  EXPECT_EQ(config.FindProfile("dev")->values.size(), 2u);
}

TEST(SharedConfigTest, IndentedLinesUnderAnEmptyValueAreASubSection) {
  SharedConfig config = SharedConfig::Parse(
      "[profile dev]\n"
      "s3 =\n"
      "  Addressing_Style = path\n"
      "  # a comment inside the sub-section\n"
      "\n"
      "  signature_version=s3v4\n"
      "  not a setting\n"
      "region = us-east-1\n"
      "ecs =\n"
      "\n",
      "");
  EXPECT_EQ(ValueOf(config, "dev", "s3.addressing_style"), "path");
  EXPECT_EQ(ValueOf(config, "dev", "s3.signature_version"), "s3v4");
  EXPECT_EQ(ValueOf(config, "dev", "region"), "us-east-1");
  EXPECT_EQ(config.FindProfile("dev")->values.count("s3"), 0u);
  EXPECT_EQ(ValueOf(config, "dev", "ecs"), "<absent>");
  EXPECT_EQ(config.FindProfile("dev")->values.size(), 4u);  // s3.*, region, and the empty ecs
}

TEST(SharedConfigTest, IndentedLinesUnderAValueContinueIt) {
  SharedConfig config = SharedConfig::Parse(
      "[profile dev]\n"
      "credential_process = /bin/creds\n"
      "    --profile dev\n"
      "region = us-east-1\n",
      "");
  EXPECT_EQ(ValueOf(config, "dev", "credential_process"), "/bin/creds\n--profile dev");
  EXPECT_EQ(ValueOf(config, "dev", "region"), "us-east-1");
}

TEST(SharedConfigTest, MalformedLinesAreSkipped) {
  SharedConfig config = SharedConfig::Parse(
      "region = before-any-section\n"
      "[profile dev]\n"
      "this line has no delimiter\n"
      "= no key\n"
      "[]\n"
      "[unclosed\n"
      "region = us-east-1\n",
      "orphan = 1\n[ci]\ngarbage\naws_access_key_id = AKID\n");
  ASSERT_NE(config.FindProfile("dev"), nullptr);
  EXPECT_EQ(config.FindProfile("dev")->values.size(), 1u);
  EXPECT_EQ(ValueOf(config, "dev", "region"), "us-east-1");
  EXPECT_EQ(config.FindProfile("ci")->values.size(), 1u);
  EXPECT_EQ(ValueOf(config, "ci", "aws_access_key_id"), "AKID");
}

TEST(SharedConfigTest, AcceptsWindowsLineEndings) {
  SharedConfig config = SharedConfig::Parse(
      "[profile dev]\r\nregion = us-east-1\r\ns3 =\r\n  addressing_style = "
      "path\r\n",
      "[dev]\r\naws_access_key_id = AKID\r\n");
  EXPECT_EQ(ValueOf(config, "dev", "region"), "us-east-1");
  EXPECT_EQ(ValueOf(config, "dev", "s3.addressing_style"), "path");
  EXPECT_EQ(ValueOf(config, "dev", "aws_access_key_id"), "AKID");
}

TEST(SharedConfigTest, GetTreatsAnEmptyValueAsAbsent) {
  SharedConfig config = SharedConfig::Parse("[default]\nregion =\noutput = json\n", "");
  const Profile* profile = config.FindProfile("default");
  ASSERT_NE(profile, nullptr);
  EXPECT_EQ(profile->Get("region"), nullptr);
  EXPECT_EQ(profile->Get("missing"), nullptr);
  ASSERT_NE(profile->Get("output"), nullptr);
  EXPECT_EQ(*profile->Get("output"), "json");
  EXPECT_EQ(SharedConfig::Parse("", "").FindProfile("default"), nullptr);
}

// Load() against real files in a temporary home directory.
class SharedConfigLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = testing::MakeTempDir("sluice-shared-config-");
    ASSERT_FALSE(home_.empty());
    env_.Set("HOME", home_);
  }
  void TearDown() override {
    // Restore permissions a test removed so the directory can be deleted.
    std::error_code ignored;
    std::filesystem::permissions(home_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    testing::RemoveTree(home_);
  }
  void Write(const std::string& relative, const std::string& content) {
    std::filesystem::path path = std::filesystem::path(home_) / relative;
    std::filesystem::create_directories(path.parent_path());
    testing::WriteFile(path.string(), content);
  }

  std::string home_;
  MapEnvironment env_;
};

TEST_F(SharedConfigLoadTest, ReadsBothFilesUnderTheHomeDirectory) {
  Write(".aws/config", "[profile dev]\nregion = eu-west-1\naws_access_key_id = AKIDCONFIG\n");
  Write(".aws/credentials", "[dev]\naws_access_key_id = AKIDCREDS\n");
  auto config = SharedConfig::Load(env_);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(ValueOf(*config, "dev", "region"), "eu-west-1");
  EXPECT_EQ(ValueOf(*config, "dev", "aws_access_key_id"), "AKIDCREDS");
}

TEST_F(SharedConfigLoadTest, EnvironmentVariablesChooseTheFilesAndTildeIsTheHomeDirectory) {
  Write(".aws/config", "[default]\nregion = wrong\n");
  Write("elsewhere/config", "[default]\nregion = ap-south-1\n");
  Write("creds", "[default]\naws_access_key_id = AKID\n");
  env_.Set("AWS_CONFIG_FILE", "~/elsewhere/config");
  env_.Set("AWS_SHARED_CREDENTIALS_FILE", home_ + "/creds");
  auto config = SharedConfig::Load(env_);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(ValueOf(*config, "default", "region"), "ap-south-1");
  EXPECT_EQ(ValueOf(*config, "default", "aws_access_key_id"), "AKID");
}

TEST_F(SharedConfigLoadTest, EmptyVariablesMeanTheDefaultFiles) {
  Write(".aws/config", "[default]\nregion = us-west-1\n");
  env_.Set("AWS_CONFIG_FILE", "");
  env_.Set("AWS_SHARED_CREDENTIALS_FILE", "");
  auto config = SharedConfig::Load(env_);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(ValueOf(*config, "default", "region"), "us-west-1");
}

TEST_F(SharedConfigLoadTest, MissingFilesAreNotAnError) {
  auto config = SharedConfig::Load(env_);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->FindProfile("default"), nullptr);

  Write(".aws/credentials", "[default]\naws_access_key_id = AKID\n");
  env_.Set("AWS_CONFIG_FILE", home_ + "/no/such/dir/config");
  auto only_credentials = SharedConfig::Load(env_);
  ASSERT_TRUE(only_credentials.ok()) << only_credentials.error().ToString();
  EXPECT_EQ(ValueOf(*only_credentials, "default", "aws_access_key_id"), "AKID");
}

TEST_F(SharedConfigLoadTest, AFileThatCannotBeReadIsAConfigErrorNamingIt) {
  std::filesystem::create_directories(home_ + "/a-directory");
  env_.Set("AWS_SHARED_CREDENTIALS_FILE", home_ + "/a-directory");
  auto config = SharedConfig::Load(env_);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().kind, ErrorKind::kConfig);
  EXPECT_NE(config.error().message.find(home_ + "/a-directory"), std::string::npos)
      << config.error().message;
  EXPECT_NE(config.error().message.find("AWS_SHARED_CREDENTIALS_FILE"), std::string::npos);
}

TEST_F(SharedConfigLoadTest, AFileWithoutReadPermissionIsAConfigError) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads files regardless of their permissions";
  Write(".aws/config", "[default]\nregion = us-east-1\n");
  ASSERT_EQ(chmod((home_ + "/.aws/config").c_str(), 0), 0);
  auto config = SharedConfig::Load(env_);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().kind, ErrorKind::kConfig);
  EXPECT_NE(config.error().message.find(home_ + "/.aws/config"), std::string::npos);
}

TEST(SelectedProfileNameTest, FlagThenAwsProfileThenDefault) {
  MapEnvironment env({{"AWS_PROFILE", "from-env"}});
  EXPECT_EQ(SelectedProfileName(env, "from-flag"), "from-flag");
  EXPECT_EQ(SelectedProfileName(env, ""), "from-env");
  EXPECT_EQ(SelectedProfileName(MapEnvironment({{"AWS_PROFILE", ""}}), ""), "default");
  EXPECT_EQ(SelectedProfileName(MapEnvironment(), ""), "default");
}

TEST(IsTrueSettingTest, TrueInAnyCaseAndNothingElse) {
  EXPECT_TRUE(IsTrueSetting("true"));
  EXPECT_TRUE(IsTrueSetting("TRUE"));
  EXPECT_TRUE(IsTrueSetting("True"));
  EXPECT_FALSE(IsTrueSetting(""));
  EXPECT_FALSE(IsTrueSetting("1"));
  EXPECT_FALSE(IsTrueSetting("yes"));
  EXPECT_FALSE(IsTrueSetting("true "));
  EXPECT_FALSE(IsTrueSetting("truee"));
}

}  // namespace
}  // namespace sluice
