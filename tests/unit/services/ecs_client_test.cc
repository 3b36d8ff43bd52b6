// EcsClient's calls that page and order on the client side, against the loopback FakeEcs.
#include "sluice/services/ecs_client.h"

#include <gtest/gtest.h>

#include "tests/peers/fake_ecs.h"

namespace sluice {
namespace {

nlohmann::json Definition(const std::string& family) {
  return {{"family", family}, {"containerDefinitions", {{{"name", "app"}, {"image", "repo/app:1"}}}}};
}

TEST(EcsClientTest, ActiveRevisionsComeNewestFirstOfThisFamilyOnlyWhateverTheServersOrder) {
  testing::FakeEcs fake;
  fake.IgnoreListSort();  // as moto does
  for (int i = 0; i < 3; ++i) fake.AddTaskDefinition(Definition("web"));
  fake.AddTaskDefinition(Definition("web-worker"));  // familyPrefix "web" matches it too
  auto ecs = EcsClient::Make(fake.Context());
  ASSERT_TRUE(ecs.ok());
  auto revisions = (*ecs)->ListActiveRevisions("web");  // pages of 2: nextToken is followed
  ASSERT_TRUE(revisions.ok()) << revisions.error().ToString();
  std::vector<std::string> names;
  for (const std::string& arn : *revisions) names.push_back(arn.substr(arn.rfind('/') + 1));
  EXPECT_EQ(names, (std::vector<std::string>{"web:3", "web:2", "web:1"}));
  EXPECT_TRUE(fake.Refusals().empty());
}

}  // namespace
}  // namespace sluice
