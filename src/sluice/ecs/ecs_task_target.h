// The check made before any task starts: the cluster is ACTIVE, the task definition exists, and
// the container that overrides go to is known; its errors name what is wrong and which flag to
// fix. sluice-trigger and sluice-run-once make it at start-up.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sluice/ecs/run_task_request.h"
#include "sluice/services/ecs_client.h"
#include "sluice/util/result.h"

namespace sluice {

struct EcsTaskTarget {
  nlohmann::json definition;           // from DescribeTaskDefinition
  std::string container;               // where overrides go (empty when none are needed)
  std::vector<std::string> essential;  // whose exit codes count
};

// Before anything starts: the cluster is ACTIVE, the task definition exists and, when
// `needs_container` (there are overrides), the container is known. Errors name what is wrong.
Result<EcsTaskTarget> ResolveEcsTaskTarget(EcsClient& ecs, const RunTaskFlags& flags,
                                           bool needs_container);

}  // namespace sluice
