// sluice-deploy's work: register the next revision of a service's task definition (new image,
// environment, or a whole document), point the service at it, wait until the rollout is
// COMPLETED, and roll back when it fails or times out. One result line:
//   {"cluster", "service", "task_definition_arn", "previous_task_definition_arn", "status",
//    "deployment_id", "deregistered", "seconds", "error"}
// status: completed | rolled_back (by us or by ECS's circuit breaker: a failure either way) |
// failed | registered (--register-only) | started (--no-wait) | unchanged | dry_run |
// interrupted (the deployment goes on).
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/deploy/cleanup.h"
#include "sluice/ecs/ecs_task_wait.h"
#include "sluice/services/ecs_client.h"

namespace sluice {

struct DeployOptions {
  std::string cluster;
  std::string service;
  std::string image;      // empty: keep
  std::string container;  // the container --image/--env apply to (default: the only one)
  std::vector<std::pair<std::string, std::string>> env;
  std::optional<nlohmann::json> registration;  // --task-definition FILE, expanded and parsed
  bool dry_run = false;
  bool register_only = false;
  bool wait = true;
  bool rollback = true;
  bool force_new_deployment = false;
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  int keep_revisions = 0;  // 0: deregister nothing
  ImageCleanupOptions images;  // --delete-images, --protect-tag, --in-use-by
  TaskWaitIntervals intervals{std::chrono::seconds(2), std::chrono::seconds(15)};
  // How long DescribeServices may go on showing the service as before UpdateService.
  std::chrono::milliseconds visibility_grace{std::chrono::seconds(60)};
};

struct DeployDeps {
  EcsClient* ecs = nullptr;
  LambdaClient* lambda = nullptr;  // for --in-use-by lambda:
  std::function<Result<EcrClient*>(const std::string& region)> ecr;  // for --delete-images
  std::function<bool(std::chrono::milliseconds)> sleep;  // false when interrupted
  std::function<bool()> interrupted;  // asked before registering and before UpdateService
  std::function<void(const std::string&)> log;           // progress and service events
  std::function<void(const std::string&)> diff;          // --dry-run's diff
  std::function<bool(const nlohmann::json&)> emit;
};

// Returns the exit status: 0 completed/registered/started/unchanged/dry_run, 1 failed or rolled
// back, 130 interrupted.
int RunDeploy(const DeployOptions& options, const DeployDeps& deps);

}  // namespace sluice
