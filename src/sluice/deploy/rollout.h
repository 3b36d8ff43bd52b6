// Reading an ECS service's deployments to tell how a rollout is going (sluice-deploy), pure.
//
// The rollout of a deployment is done when its rolloutState is COMPLETED (or, for services
// without rolloutState, when it is the only deployment, PRIMARY, with runningCount ==
// desiredCount). It failed when its rolloutState is FAILED. It was rolled back by ECS (the
// deployment circuit breaker with rollback) when it is no longer PRIMARY, or gone, and the
// PRIMARY deployment runs another task definition: that is a failure too, never a success.
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
};

// `service` is one entry of DescribeServices' "services"; `deployment_id` the id of the
// deployment UpdateService started (empty: the PRIMARY one running `task_definition_arn`).
RolloutView EvaluateRollout(const nlohmann::json& service, const std::string& deployment_id,
                            const std::string& task_definition_arn);

// The id of the PRIMARY deployment in a service description (UpdateService's answer).
std::string PrimaryDeploymentId(const nlohmann::json& service);

// Service events not in `seen`, oldest first ("events" are newest first); adds them to `seen`.
std::vector<std::string> NewServiceEvents(const nlohmann::json& service, std::set<std::string>& seen);

}  // namespace sluice
