// sluice-deploy --lambda-function against moto's Lambda (run without Docker) on a container-image
// function, through AwsRealismProxy for what moto's updates never do: take time (LastUpdateStatus
// InProgress) or fail (an image Lambda cannot pull). A new image and environment become a
// version the alias moves to; a failed update leaves the alias where it was; a rerun is
// unchanged; --dry-run changes nothing; --keep-versions deletes only unaliased old versions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sluice/services/lambda_client.h"
#include "tests/peers/aws_realism_proxy.h"
#include "tests/peers/lambda_moto.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;

class DeployLambdaTest : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    MotoSuiteTest::SetUp();
    dir_ = testing::MakeTempDir("sluice-deploy-lambda-");
    function_ = "api-" + std::to_string(++counter_);
    testing::LambdaMoto setup;
    ASSERT_TRUE(setup.Start(*moto_, function_ + "-zip"));  // Lambda without Docker, a role
    ASSERT_TRUE(setup.CreateImageFunction(function_, Image("v1"), {{"MODE", "one"}}));
    auto client = LambdaClient::Make(moto_->Context());
    ASSERT_TRUE(client.ok());
    lambda_ = std::move(client).value();
    auto v1 = lambda_->PublishVersion(function_, "");
    ASSERT_TRUE(v1.ok());
    ASSERT_TRUE(lambda_->CreateAlias(function_, "live", v1->version).ok());
    proxy_ = std::make_unique<testing::AwsRealismProxy>(moto_->endpoint());
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  std::string Image(const std::string& tag) const {
    return moto_->account_id() + ".dkr.ecr.us-east-1.amazonaws.com/api@sha256:" +
           std::string(64 - tag.size(), '0') + tag;
  }
  testing::ToolRun Deploy(std::vector<std::string> args) {
    args.insert(args.begin(), {"--lambda-function", function_});
    return testing::ToolRun("sluice-deploy", dir_,
                            testing::AwsEnv(dir_, proxy_->endpoint(), moto_->credentials().access_key_id,
                                            moto_->credentials().secret_access_key),
                            args);
  }
  std::string Live() {
    auto alias = lambda_->GetAlias(function_, "live");
    return alias.ok() && alias->has_value() ? (*alias)->function_version : "";
  }

  static inline int counter_ = 0;
  std::string dir_, function_;
  std::unique_ptr<LambdaClient> lambda_;
  std::unique_ptr<testing::AwsRealismProxy> proxy_;
};

TEST_F(DeployLambdaTest, ANewImageIsWaitedForPublishedAndTheAliasMovedThenARerunIsUnchanged) {
  proxy_->SlowLambdaUpdates(2);  // two reads of InProgress before Successful
  testing::ToolRun run = Deploy({"--image", Image("a2"), "--env", "MODE=two", "--alias", "live"});
  ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  json r = results[0];
  EXPECT_EQ(r["status"], "completed") << r;
  EXPECT_EQ(r["version"], "2");
  EXPECT_EQ(r["previous_version"], "1");
  EXPECT_EQ(r["image"], Image("a2"));
  EXPECT_EQ(Live(), "2");
  auto config = ParseLambdaFunctionConfig(*lambda_->GetFunctionConfiguration(function_, "2"));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->environment, (std::vector<std::pair<std::string, std::string>>{{"MODE", "two"}}));
  EXPECT_EQ(*lambda_->FunctionImage(function_), Image("a2"));

  testing::ToolRun again = Deploy({"--image", Image("a2"), "--env", "MODE=two", "--alias", "live"});
  ASSERT_EQ(again.ExitCode(), 0) << again.Stderr();
  EXPECT_EQ(again.Results()[0]["status"], "unchanged");
  EXPECT_EQ(lambda_->ListVersions(function_)->size(), 3u);  // $LATEST, 1, 2: nothing published
}

TEST_F(DeployLambdaTest, AFailedUpdateLeavesTheAliasWhereItWasAndPublishesNothing) {
  proxy_->FailLambdaUpdates("ImageAccessDenied", "Lambda does not have permission to pull the image");
  testing::ToolRun run = Deploy({"--image", Image("b2"), "--alias", "live"});
  EXPECT_EQ(run.ExitCode(), 1) << run.Stderr();
  json r = run.Results().at(0);
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["version"], nullptr);
  std::string error = r["error"];
  EXPECT_NE(error.find("ImageAccessDenied: Lambda does not have permission"), std::string::npos) << error;
  EXPECT_NE(error.find("live stays where it was"), std::string::npos) << error;
  EXPECT_EQ(Live(), "1");
  EXPECT_EQ(lambda_->ListVersions(function_)->size(), 2u);
}

TEST_F(DeployLambdaTest, ADryRunShowsTheDiffAndChangesNothing) {
  testing::ToolRun run = Deploy({"--image", Image("c2"), "--env", "MODE=three", "--env", "NEW=1",
                                 "--alias", "live", "--dry-run"});
  ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
  EXPECT_EQ(run.Results().at(0)["status"], "dry_run");
  std::string err = run.Stderr();
  EXPECT_NE(err.find("image: " + Image("v1") + " -> " + Image("c2")), std::string::npos) << err;
  EXPECT_NE(err.find("env MODE: one -> three"), std::string::npos) << err;
  EXPECT_NE(err.find("env +NEW=1"), std::string::npos) << err;
  EXPECT_EQ(*lambda_->FunctionImage(function_), Image("v1"));
  EXPECT_EQ(Live(), "1");
}

// moto numbers a new version after the count of versions, so a number comes again after a
// delete (Lambda never reuses one): the deletions come in the last deploy only.
TEST_F(DeployLambdaTest, KeepVersionsDeletesOnlyOldVersionsNoAliasNames) {
  ASSERT_TRUE(lambda_->CreateAlias(function_, "pinned", "1").ok());
  for (const char* tag : {"d2", "d3", "d4"}) {
    testing::ToolRun run = Deploy({"--image", Image(tag), "--alias", "live"});
    ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
  }
  testing::ToolRun run = Deploy({"--image", Image("d5"), "--alias", "live", "--keep-versions", "1"});
  ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
  EXPECT_EQ(run.Results().at(0)["deleted_versions"], (json{"2", "3", "4"}));
  auto versions = lambda_->ListVersions(function_);  // kept: a loop over *f() would dangle
  ASSERT_TRUE(versions.ok()) << versions.error().ToString();
  std::vector<std::string> left;
  for (const auto& v : *versions) left.push_back(v.version);
  // 1 is pinned, 5 is live and the newest.
  EXPECT_EQ(left, (std::vector<std::string>{"$LATEST", "1", "5"}));
}

TEST_F(DeployLambdaTest, FlagsForEcsAreRefusedWithLambda) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--image", Image("e2"), "--cluster", "c"},
           {"--image", Image("e2"), "--keep-revisions", "2"},
           {"--alias", "live"},
           {"--image", Image("e2"), "--keep-versions", "-1"}}) {
    testing::ToolRun run = Deploy(args);
    EXPECT_EQ(run.ExitCode(), 2) << run.Stderr();
  }
}

}  // namespace
}  // namespace sluice
