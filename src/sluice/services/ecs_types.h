// ECS RunTask requests and the task descriptions ECS returns, as plain structs with pure
// JSON conversions: shared by sluice-trigger's ECS action and sluice-run-once.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/util/clock.h"
#include "sluice/util/result.h"

namespace sluice {

struct CapacityProviderItem {
  std::string name;  // FARGATE, FARGATE_SPOT, or a cluster's own
  int weight = 1;
  int base = 0;
};

struct ContainerOverride {
  std::string name;
  std::optional<std::vector<std::string>> command;
  std::vector<std::pair<std::string, std::string>> environment;
};

struct RunTaskRequest {
  std::string cluster;
  std::string task_definition;  // family, family:revision or ARN
  std::string launch_type;      // FARGATE, EC2, EXTERNAL; empty with capacity providers
  std::vector<CapacityProviderItem> capacity_providers;
  std::string platform_version;
  // awsvpc networking; empty subnets: no networkConfiguration (bridge/host tasks).
  std::vector<std::string> subnets;
  std::vector<std::string> security_groups;
  std::optional<bool> assign_public_ip;
  std::vector<ContainerOverride> container_overrides;
  std::string cpu;  // task-level overrides, as strings ECS wants ("1024")
  std::string memory;
  std::string task_role_arn;
  std::vector<std::pair<std::string, std::string>> tags;
  std::string started_by;    // at most 36 characters
  std::string client_token;  // idempotency: at most 64 printable ASCII characters
};

nlohmann::json ToJson(const RunTaskRequest& request);

struct EcsContainer {
  std::string name;
  std::string last_status;
  std::optional<int> exit_code;
  std::string reason;
  std::string image;         // as the task definition names it
  std::string image_digest;  // what ECS resolved it to ("sha256:..."); empty until pulled
};

struct EcsTask {
  std::string arn;
  std::string task_definition_arn;
  std::string last_status;  // PROVISIONING ... RUNNING ... STOPPED
  std::string stop_code;    // TaskFailedToStart, EssentialContainerExited, UserInitiated, ...
  std::string stopped_reason;
  std::vector<EcsContainer> containers;
  std::optional<SystemTime> started_at;
  std::optional<SystemTime> stopped_at;
};

// A task from DescribeTasks/RunTask; fields of the wrong type are an Error::Parse.
Result<EcsTask> ParseEcsTask(const nlohmann::json& task);

struct EcsFailure {
  std::string arn;
  std::string reason;  // "RESOURCE:MEMORY", "MISSING", ...
  std::string detail;
};

struct RunTaskResult {
  std::vector<EcsTask> tasks;
  std::vector<EcsFailure> failures;
};

Result<RunTaskResult> ParseRunTaskResult(const nlohmann::json& output);

// "RESOURCE:FARGATE (detail); AGENT" for RunTask's failures ("no reason given" for none).
std::string DescribeFailures(const std::vector<EcsFailure>& failures);

// Task ARN "arn:aws:ecs:r:a:task/cluster/ID" -> "ID" (what log streams are named after).
std::string TaskIdFromArn(const std::string& arn);

}  // namespace sluice
