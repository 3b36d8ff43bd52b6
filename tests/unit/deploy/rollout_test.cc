// How a rollout is going, from DescribeServices: completed, failed, in progress, and rolled back
// by ECS's circuit breaker (a failure, never a success).
#include "sluice/deploy/rollout.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using nlohmann::json;

const std::string kNew = "arn:aws:ecs:us-east-1:1:task-definition/web:8";
const std::string kOld = "arn:aws:ecs:us-east-1:1:task-definition/web:7";

json Deployment(const std::string& id, const std::string& status, const std::string& task_def,
                const std::string& rollout, int running = 2, int desired = 2) {
  json d = {{"id", id}, {"status", status}, {"taskDefinition", task_def},
            {"runningCount", running}, {"desiredCount", desired}, {"pendingCount", 0}};
  if (!rollout.empty()) d["rolloutState"] = rollout;
  return d;
}

TEST(RolloutTest, CompletedInProgressAndFailed) {
  json service = {{"deployments", {Deployment("ecs-svc/2", "PRIMARY", kNew, "IN_PROGRESS", 1),
                                   Deployment("ecs-svc/1", "ACTIVE", kOld, "COMPLETED")}}};
  EXPECT_EQ(PrimaryDeploymentId(service), "ecs-svc/2");
  RolloutView view = EvaluateRollout(service, "ecs-svc/2", kNew);
  EXPECT_EQ(view.status, RolloutStatus::kInProgress);
  EXPECT_EQ(view.running, 1);

  service["deployments"][0]["rolloutState"] = "COMPLETED";
  EXPECT_EQ(EvaluateRollout(service, "ecs-svc/2", kNew).status, RolloutStatus::kCompleted);

  service["deployments"][0]["rolloutState"] = "FAILED";
  service["deployments"][0]["rolloutStateReason"] = "tasks failed to start";
  view = EvaluateRollout(service, "ecs-svc/2", kNew);
  EXPECT_EQ(view.status, RolloutStatus::kFailed);
  EXPECT_EQ(view.reason, "tasks failed to start");
}

TEST(RolloutTest, ACircuitBreakerRollbackIsAFailure) {
  // ECS marked ours FAILED and made a new PRIMARY deployment of the old task definition.
  json service = {{"deployments", {Deployment("ecs-svc/3", "PRIMARY", kOld, "IN_PROGRESS"),
                                   Deployment("ecs-svc/2", "ACTIVE", kNew, "FAILED")}}};
  RolloutView view = EvaluateRollout(service, "ecs-svc/2", kNew);
  EXPECT_EQ(view.status, RolloutStatus::kRolledBackByEcs);
  // Later ours is gone altogether and the rollback is COMPLETED: still not our success.
  json later = {{"deployments", {Deployment("ecs-svc/3", "PRIMARY", kOld, "COMPLETED")}}};
  EXPECT_EQ(EvaluateRollout(later, "ecs-svc/2", kNew).status, RolloutStatus::kRolledBackByEcs);
}

TEST(RolloutTest, WithoutRolloutStateOnePrimaryAtFullCountIsDone) {
  json service = {{"deployments", {Deployment("d2", "PRIMARY", kNew, "", 2, 2),
                                   Deployment("d1", "ACTIVE", kOld, "", 1, 0)}}};
  EXPECT_EQ(EvaluateRollout(service, "d2", kNew).status, RolloutStatus::kInProgress);
  service["deployments"].erase(1);
  EXPECT_EQ(EvaluateRollout(service, "d2", kNew).status, RolloutStatus::kCompleted);
  service["deployments"][0]["runningCount"] = 1;
  EXPECT_EQ(EvaluateRollout(service, "d2", kNew).status, RolloutStatus::kInProgress);
}

TEST(RolloutTest, NewEventsComeOldestFirstAndOnce) {
  std::set<std::string> seen;
  json service = {{"events", {{{"id", "e2"}, {"message", "second"}}, {{"id", "e1"}, {"message", "first"}}}}};
  EXPECT_EQ(NewServiceEvents(service, seen), (std::vector<std::string>{"first", "second"}));
  service["events"].insert(service["events"].begin(), json{{"id", "e3"}, {"message", "third"}});
  EXPECT_EQ(NewServiceEvents(service, seen), (std::vector<std::string>{"third"}));
}

}  // namespace
}  // namespace sluice
