// The RunTask settings the ECS tools share, checked and turned into a RunTaskRequest.
#include "sluice/ecs/run_task_request.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

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

TEST(ClientTokenTest, AFreshTokenPerInvocationThatEcsAccepts) {
  std::string a = NewClientToken(), b = NewClientToken();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("sluice-", 0), 0u) << a;
  EXPECT_EQ(a.size(), 39u);
  EXPECT_TRUE(CheckClientToken(a).ok());
  EXPECT_TRUE(CheckClientToken("").ok());
  EXPECT_FALSE(CheckClientToken(std::string(65, 'x')).ok());
  EXPECT_FALSE(CheckClientToken("has space").ok());
}

}  // namespace
}  // namespace sluice
