// LambdaClient's deploy calls against moto's Lambda (run without Docker) on a container-image
// function: new image, new environment, a version published only for the code it was given, an
// alias created and moved, versions listed and one deleted, and $LATEST never deleted.
// (sluice-deploy --lambda-function, issue 18, is built on these.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sluice/aws/service_client.h"
#include "sluice/aws/query_protocol.h"
#include "sluice/services/lambda_client.h"
#include "tests/peers/lambda_moto.h"
#include "tests/peers/peers.h"

namespace sluice {
namespace {

using nlohmann::json;

class LambdaClientMotoTest : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    MotoSuiteTest::SetUp();
    testing::LambdaMoto setup;  // moto told to run Lambda without Docker, and a role
    ASSERT_TRUE(setup.Start(*moto_, "setup-" + std::to_string(++counter_)));
    auto client = LambdaClient::Make(moto_->Context());
    ASSERT_TRUE(client.ok());
    lambda_ = std::move(client).value();
    function_ = "image-fn-" + std::to_string(counter_);
    ASSERT_TRUE(setup.CreateImageFunction(function_, Image("v1"), {{"MODE", "one"}}));
  }
  std::string Image(const std::string& tag) const {
    return moto_->account_id() + ".dkr.ecr.us-east-1.amazonaws.com/fn:" + tag;
  }

  static inline int counter_ = 0;
  std::unique_ptr<LambdaClient> lambda_;
  std::string function_;
};

TEST_F(LambdaClientMotoTest, ANewImageIsPublishedAndAnAliasMovedToIt) {
  auto before = lambda_->GetFunctionConfiguration(function_, "");
  ASSERT_TRUE(before.ok()) << before.error().ToString();
  auto config = ParseLambdaFunctionConfig(*before);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->package_type, "Image");
  EXPECT_EQ(config->environment, (std::vector<std::pair<std::string, std::string>>{{"MODE", "one"}}));

  auto v1 = lambda_->PublishVersion(function_, config->code_sha256, "v1");
  ASSERT_TRUE(v1.ok()) << v1.error().ToString();
  EXPECT_EQ(v1->version, "1");
  auto created = lambda_->CreateAlias(function_, "live", v1->version);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_EQ(created->function_version, "1");

  auto updated = lambda_->UpdateFunctionImage(function_, Image("v2"), config->revision_id);
  ASSERT_TRUE(updated.ok()) << updated.error().ToString();
  auto env = lambda_->UpdateFunctionEnvironment(function_, {{"MODE", "two"}, {"EXTRA", "x"}});
  ASSERT_TRUE(env.ok()) << env.error().ToString();
  EXPECT_EQ(env->environment,
            (std::vector<std::pair<std::string, std::string>>{{"EXTRA", "x"}, {"MODE", "two"}}));
  auto v2 = lambda_->PublishVersion(function_, "", "v2");
  ASSERT_TRUE(v2.ok()) << v2.error().ToString();
  EXPECT_EQ(v2->version, "2");
  auto moved = lambda_->UpdateAlias(function_, "live", v2->version);
  ASSERT_TRUE(moved.ok()) << moved.error().ToString();
  auto live = lambda_->GetAlias(function_, "live");
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(live->has_value());
  EXPECT_EQ((*live)->function_version, "2");
  auto none = lambda_->GetAlias(function_, "canary");
  ASSERT_TRUE(none.ok()) << none.error().ToString();
  EXPECT_FALSE(none->has_value());

  auto versions = lambda_->ListVersions(function_);
  ASSERT_TRUE(versions.ok()) << versions.error().ToString();
  std::vector<std::string> numbers;
  for (const auto& v : *versions) numbers.push_back(v.version);
  EXPECT_EQ(numbers, (std::vector<std::string>{"$LATEST", "1", "2"}));
  auto aliases = lambda_->ListAliases(function_);
  ASSERT_TRUE(aliases.ok());
  ASSERT_EQ(aliases->size(), 1u);
  EXPECT_EQ((*aliases)[0].name, "live");

  ASSERT_TRUE(lambda_->DeleteVersion(function_, "1").ok());
  EXPECT_EQ(lambda_->ListVersions(function_)->size(), 2u);
  EXPECT_FALSE(lambda_->DeleteVersion(function_, "$LATEST").ok());
  EXPECT_FALSE(lambda_->DeleteVersion(function_, "").ok());
}

}  // namespace
}  // namespace sluice
