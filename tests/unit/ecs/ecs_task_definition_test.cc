// Reading task definitions (containers, essential ones, awslogs streams) and the RunTask flags
// the ECS tools share.
#include "sluice/ecs/ecs_task_definition.h"

#include <gtest/gtest.h>

#include "sluice/ecs/run_task_flags.h"

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

TEST(RunTaskFlagsTest, BuildsTheRequest) {
  RunTaskFlags flags;
  flags.cluster = "jobs";
  flags.task_definition = "batch:3";
  flags.subnets = {"subnet-a,subnet-b", "subnet-c"};
  flags.security_groups = {"sg-1"};
  flags.capacity_providers = {"FARGATE_SPOT:3", "FARGATE:1:2"};
  flags.tags = {"team=data", "cost=a=b"};
  flags.started_by = "me";
  auto r = BuildRunTaskRequest(flags);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->subnets, (std::vector<std::string>{"subnet-a", "subnet-b", "subnet-c"}));
  ASSERT_EQ(r->capacity_providers.size(), 2u);
  EXPECT_EQ(r->capacity_providers[0].name, "FARGATE_SPOT");
  EXPECT_EQ(r->capacity_providers[0].weight, 3);
  EXPECT_EQ(r->capacity_providers[1].base, 2);
  EXPECT_EQ(r->tags[1], (std::pair<std::string, std::string>{"cost", "a=b"}));
  EXPECT_FALSE(r->assign_public_ip);
}

TEST(RunTaskFlagsTest, RefusesBadValues) {
  auto with = [](auto change) {
    RunTaskFlags flags;
    flags.cluster = "c";
    flags.task_definition = "f";
    change(flags);
    return BuildRunTaskRequest(flags);
  };
  EXPECT_FALSE(with([](RunTaskFlags& f) { f.cluster.clear(); }).ok());
  EXPECT_FALSE(with([](RunTaskFlags& f) {
                 f.launch_type = "FARGATE";
                 f.capacity_providers = {"FARGATE_SPOT"};
               }).ok());
  EXPECT_FALSE(with([](RunTaskFlags& f) { f.launch_type = "fargate"; }).ok());
  EXPECT_FALSE(with([](RunTaskFlags& f) { f.capacity_providers = {"FARGATE_SPOT:x"}; }).ok());
  EXPECT_FALSE(with([](RunTaskFlags& f) { f.capacity_providers = {"FARGATE_SPOT:1:2:3"}; }).ok());
  EXPECT_FALSE(with([](RunTaskFlags& f) { f.tags = {"novalue"}; }).ok());
  EXPECT_FALSE(with([](RunTaskFlags& f) { f.started_by = std::string(37, 'x'); }).ok());
}

}  // namespace
}  // namespace sluice
