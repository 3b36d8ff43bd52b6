// sluice-run-once's work: start one ECS task, stream its CloudWatch logs while it runs, wait for
// STOPPED with no cap but --timeout, and report how it ended. Also the --local twin: the same job
// as a local process. Both write one result line:
//   {"task_arn", "cluster", "client_token", "task_definition_arn", "exit_code", "stop_code",
//    "stopped_reason", "started_at", "stopped_at", "log_group", "log_stream", "seconds"}
// and return the exit status the tool exits with: the essential container's exit code (the
// first non-zero one with several); 1 for a task that never ran, one that ECS or StopTask
// stopped before it finished (stop codes SpotInterruption, TerminationNotice,
// ServiceSchedulerInitiated, UserInitiated) while its container exited 0, or an API failure;
// 124 after --timeout (the task is stopped), 130 when interrupted (the task is stopped).
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/ecs/ecs_task_target.h"
#include "sluice/ecs/ecs_task_wait.h"
#include "sluice/services/ecs_client.h"
#include "sluice/services/ecs_types.h"
#include "sluice/services/logs_client.h"
#include "sluice/util/clock.h"

namespace sluice {

struct RunOnceOptions {
  RunTaskRequest request;  // complete: overrides and client token included
  EcsTaskTarget target;
  bool follow_logs = true;
  std::string region;  // the client's: awslogs streams in another region are not followed
  std::chrono::milliseconds timeout{0};  // 0: none
  TaskWaitIntervals intervals{std::chrono::seconds(1), std::chrono::seconds(10)};
  // GetLogEvents pacing (log_poll_pacer.h): this often while lines arrive, backing off to
  // log_idle_max while idle and to log_throttled_max on throttling.
  std::chrono::milliseconds log_interval{std::chrono::seconds(1)};
  std::chrono::milliseconds log_idle_max{std::chrono::seconds(8)};
  std::chrono::milliseconds log_throttled_max{std::chrono::seconds(30)};
  std::chrono::milliseconds stop_wait{std::chrono::seconds(30)};  // for STOPPED after StopTask
  // How long DescribeTasks may not show the task RunTask started (eventual consistency).
  std::chrono::milliseconds missing_grace{std::chrono::seconds(60)};
};

struct RunOnceDeps {
  EcsClient* ecs = nullptr;
  LogsClient* logs = nullptr;  // null: logs are not followed
  // Sleeps; false when interrupted (SIGINT/SIGTERM).
  std::function<bool(std::chrono::milliseconds)> sleep;
  std::function<bool()> interrupted;  // asked before the task starts: then none is started
  // Sleeps regardless of interrupts (waiting for STOPPED after StopTask).
  std::function<void(std::chrono::milliseconds)> pause;
  std::function<void(const std::string&)> log;     // progress and errors, one line
  std::function<void(const std::string&)> output;  // a line of the task's own output
  std::function<bool(const nlohmann::json&)> emit;  // the result line
  std::function<SystemTime()> now;
};

int RunOnce(const RunOnceOptions& options, const RunOnceDeps& deps);

struct LocalRunOptions {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds kill_grace{std::chrono::seconds(10)};
};

// Runs argv with env on top of this environment, its stdout going to stderr (stdout carries the
// result line); returns its exit code, 124 after the timeout, 130 when interrupted, 1 when it
// cannot start.
int RunLocal(const LocalRunOptions& options, const std::function<bool()>& interrupted,
             const RunOnceDeps& deps);

}  // namespace sluice
