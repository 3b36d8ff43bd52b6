// Waiting for an ECS task to stop, and reading its result: shared by sluice-trigger --wait and
// sluice-run-once. DescribeTasks is polled with a growing interval (1 s up to 15 s), so many
// waiters stay far below ECS's API rate limits; throttling is retried by the service client.
// There is no hidden cap: the caller's deadline is the only limit.
//
// ECS is eventually consistent: DescribeTasks right after RunTask can answer MISSING (or no
// task) for a task RunTask has just started. A task that has not been seen yet is waited for
// through that (missing_grace); only a task ECS showed and then forgot is "no longer known".
// Either way the caller must not start the task again: it may be running.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sluice/services/ecs_client.h"
#include "sluice/services/ecs_types.h"
#include "sluice/util/result.h"

namespace sluice {

struct TaskWaitIntervals {
  std::chrono::milliseconds first{1000};
  std::chrono::milliseconds max{15000};
};

struct TaskWaitOptions {
  TaskWaitIntervals intervals;
  std::optional<std::chrono::steady_clock::time_point> deadline;  // Error::Timeout after it
  // Sleeps up to the given time; returns false when the wait must end now (Error::Interrupted).
  std::function<bool(std::chrono::milliseconds)> sleep;
  // Called with each new description (state changes, for progress lines).
  std::function<void(const EcsTask&)> on_update;
  // Called when a poll failed in a way worth waiting out (throttling, 5xx, network) after the
  // client's own retries: the wait goes on, since giving up would abandon a running task.
  std::function<void(const Error&)> on_transient_error;
  // How long a task ECS does not show yet (MISSING right after RunTask) is waited for.
  std::chrono::milliseconds missing_grace{60000};
  // Called once when ECS does not show the task yet (for a progress line).
  std::function<void(const std::string& reason)> on_not_visible_yet;
};

Result<EcsTask> WaitForTaskStopped(EcsClient& ecs, const std::string& cluster,
                                   const std::string& task_arn, const TaskWaitOptions& options);

// The exit code that stands for the task (pure): among the containers named in `essential`
// (every container when it is empty), the first non-zero exit code, else 0. nullopt when none of
// them has an exit code: the task stopped before they ran (see stop_code and stopped_reason).
std::optional<int> TaskExitCode(const EcsTask& task, const std::vector<std::string>& essential);

// "TaskFailedToStart: CannotPullContainerError: ..." for a task that stopped without running.
std::string DescribeStop(const EcsTask& task);

// How a stopped task ended, from its stopCode first and its exit codes second (pure). An app
// that exits 0 on SIGTERM makes a task that ECS reclaimed (Fargate Spot), drained or someone
// stopped look successful by its exit code alone; the stop code says it did not finish:
//   EssentialContainerExited (or none: older agents, moto)  the exit code decides
//   SpotInterruption, TerminationNotice,
//   ServiceSchedulerInitiated                  failed, retryable: capacity was taken away
//   TaskFailedToStart, or no container ran     failed, retryable (capacity, image pulls)
//   UserInitiated                              failed, not retried: a person or a program
//                                              stopped it on purpose
//   any other stop code                        failed, not retried, the code named
struct TaskVerdict {
  std::optional<int> exit_code;  // TaskExitCode: kept whatever the verdict
  bool succeeded = false;
  bool retryable = false;
  std::string reason;  // one line when not succeeded
};
TaskVerdict JudgeStoppedTask(const EcsTask& task, const std::vector<std::string>& essential);

}  // namespace sluice
