// The ECS action of sluice-trigger: one RunTask per event, the event reaching the task through
// templated environment overrides (--env INPUT_KEY={key}) and, optionally, a templated command.
// RunTask's clientToken is derived from the event, so a repeated event does not start a second
// task (ECS returns the first). With `wait`, the attempt lasts until the task stops, and its
// stop code and essential container's exit code decide success (JudgeStoppedTask).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/ecs/ecs_task_wait.h"
#include "sluice/services/ecs_client.h"
#include "sluice/services/ecs_types.h"
#include "sluice/trigger/event_template.h"
#include "sluice/trigger/trigger_action.h"

namespace sluice {

struct EcsTaskActionOptions {
  RunTaskRequest request;  // everything but the container overrides and the client token
  std::string container;   // the container the overrides apply to
  std::vector<std::pair<std::string, EventTemplate>> env;
  std::vector<EventTemplate> command;  // empty: the task definition's command
  bool wait = false;
  std::vector<std::string> essential;  // containers whose exit code counts (all when empty)
  std::chrono::milliseconds timeout{0};  // with wait, per attempt: the task is stopped after it
  TaskWaitIntervals intervals;
  // How long a task RunTask started may stay invisible to DescribeTasks (MISSING) before the
  // attempt fails; it is never started again for that (it may be running).
  std::chrono::milliseconds missing_grace{60000};
  std::function<void(const std::string&)> log;  // progress lines (may be unset)
};

std::unique_ptr<TriggerAction> MakeEcsTaskAction(std::shared_ptr<EcsClient> ecs,
                                                 EcsTaskActionOptions options);

// RunTask's clientToken for an attempt at an event (pure): SHA-256 over the cluster, the task
// definition, the event's identity and the attempt, as 64 hex digits (ECS allows 64 printable
// ASCII characters). The attempt is part of it, so a retry after a failed task starts a new one.
std::string EventClientToken(const std::string& cluster, const std::string& task_definition,
                             const TriggerEvent& event, int attempt);

// The token after `token` when ECS answered it with `failed_task_arn`, a task that failed in an
// earlier delivery of the same SQS message (pure): deterministic, so that every delivery walks
// the same chain to its first task that did not fail, and a reader that died while a task ran
// finds that task again rather than starting another.
std::string NextClientToken(const std::string& token, const std::string& failed_task_arn);

}  // namespace sluice
