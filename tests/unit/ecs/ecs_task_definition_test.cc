// Reading task definitions: containers, essential ones, awslogs streams.
#include "sluice/ecs/ecs_task_definition.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using nlohmann::json;

const json kDefinition = json::parse(R"({"family": "batch", "containerDefinitions": [
  {"name": "app", "logConfiguration": {"logDriver": "awslogs", "options": {
     "awslogs-group": "/ecs/batch", "awslogs-stream-prefix": "ecs", "awslogs-region": "eu-west-1"}}},
  {"name": "log-router", "essential": false,
   "logConfiguration": {"logDriver": "awsfirelens"}},
  {"name": "worker", "essential": true, "logConfiguration": {"logDriver": "awslogs",
     "options": {"awslogs-group": "/ecs/batch"}}}]})");

TEST(EcsTaskDefinitionTest, NamesAndEssentialContainers) {
  EXPECT_EQ(ContainerNames(kDefinition), (std::vector<std::string>{"app", "log-router", "worker"}));
  EXPECT_EQ(EssentialContainers(kDefinition), (std::vector<std::string>{"app", "worker"}));
  EXPECT_TRUE(ContainerNames(json::object()).empty());
  EXPECT_TRUE(ContainerNames(json::parse(R"({"containerDefinitions": [5, {"name": 3}]})")).empty());
}

TEST(EcsTaskDefinitionTest, ChoosesTheContainerForOverrides) {
  EXPECT_EQ(*ChooseContainer(kDefinition, "worker", "batch"), "worker");
  auto missing = ChooseContainer(kDefinition, "nope", "batch");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "task definition batch has no container named nope (it has app, log-router, worker)");
  auto several = ChooseContainer(kDefinition, "", "batch");
  ASSERT_FALSE(several.ok());
  EXPECT_NE(several.error().message.find("--container"), std::string::npos);
  json one = json::parse(R"({"containerDefinitions": [{"name": "only"}]})");
  EXPECT_EQ(*ChooseContainer(one, "", "x"), "only");
}

TEST(EcsTaskDefinitionTest, FindsTheAwslogsStream) {
  auto app = AwslogsLocation(kDefinition, "app", "0123abcd");
  ASSERT_TRUE(app);
  EXPECT_EQ(app->group, "/ecs/batch");
  EXPECT_EQ(app->stream, "ecs/app/0123abcd");
  EXPECT_EQ(app->region, "eu-west-1");
  EXPECT_FALSE(AwslogsLocation(kDefinition, "log-router", "t"));  // not awslogs
  EXPECT_FALSE(AwslogsLocation(kDefinition, "worker", "t"));      // no stream prefix
  EXPECT_FALSE(AwslogsLocation(kDefinition, "ghost", "t"));
}

}  // namespace
}  // namespace sluice
