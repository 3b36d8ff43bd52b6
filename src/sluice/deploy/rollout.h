// Reading an ECS service's deployments to tell how a rollout is going (sluice-deploy), pure.
//
// The rollout of a deployment is done when its rolloutState is COMPLETED (or, for services
// without rolloutState, when it is the only deployment, PRIMARY, with runningCount ==
// desiredCount). It failed when its rolloutState is FAILED. It was rolled back by ECS (the
// deployment circuit breaker with rollback) when it is no longer PRIMARY, or gone, and the
// PRIMARY deployment runs another task definition: that is a failure too, never a success.
//
// ECS is eventually consistent: DescribeServices right after UpdateService can still show the
// service as it was, the old deployment PRIMARY and ours absent. That is not a rollback: until
// ours has been listed once (or a grace has passed), `expect_listed` is false and its absence
// reads as "in progress, not listed yet".
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace sluice {

enum class RolloutStatus { kInProgress, kCompleted, kFailed, kRolledBackByEcs };

struct RolloutView {
  RolloutStatus status = RolloutStatus::kInProgress;
  std::string reason;  // rolloutStateReason, or what was seen
  int running = 0, desired = 0, pending = 0;
  bool listed = false;  // our deployment is in this description
};

// `service` is one entry of DescribeServices' "services"; `deployment_id` the id of the
// deployment UpdateService started (empty: the PRIMARY one running `task_definition_arn`).
RolloutView EvaluateRollout(const nlohmann::json& service, const std::string& deployment_id,
                            const std::string& task_definition_arn, bool expect_listed = true);

// The id of the PRIMARY deployment in a service description (UpdateService's answer).
std::string PrimaryDeploymentId(const nlohmann::json& service);

// Service events not in `seen`, oldest first ("events" are newest first); adds them to `seen`.
std::vector<std::string> NewServiceEvents(const nlohmann::json& service, std::set<std::string>& seen);

}  // namespace sluice
