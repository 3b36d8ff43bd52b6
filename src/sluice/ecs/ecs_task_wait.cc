#include "sluice/ecs/ecs_task_wait.h"

#include <algorithm>

#include "sluice/net/retry_policy.h"
#include "sluice/util/duration.h"

namespace sluice {

using std::chrono::milliseconds;

Result<EcsTask> WaitForTaskStopped(EcsClient& ecs, const std::string& cluster,
                                   const std::string& task_arn, const TaskWaitOptions& options) {
  const auto began = std::chrono::steady_clock::now();
  auto interval = options.intervals.first;
  std::string last_status;
  bool seen = false;
  bool said_not_visible = false;
  while (true) {
    auto described = ecs.DescribeTasks(cluster, {task_arn});
    if (!described.ok()) {
      if (ClassifyFailure(described.error()) == FailureClass::kNotRetryable) return described.error();
      if (options.on_transient_error) options.on_transient_error(described.error());
    } else if (described->tasks.empty()) {
      std::string reason = described->failures.empty() ? "not found"
                                                       : described->failures.front().reason;
      if (seen) {
        return Error::InvalidArgument("ECS no longer knows task " + task_arn + " (" + reason + ")");
      }
      if (std::chrono::steady_clock::now() - began >= options.missing_grace) {
        return Error::InvalidArgument("ECS has not shown task " + task_arn + " within " +
                                      FormatDuration(options.missing_grace) +
                                      " of its start (" + reason + "); it may still be running");
      }
      if (!said_not_visible && options.on_not_visible_yet) options.on_not_visible_yet(reason);
      said_not_visible = true;
      last_status = "not visible yet (" + reason + ")";
    } else {
      seen = true;
      const EcsTask& task = described->tasks.front();
      if (options.on_update && task.last_status != last_status) options.on_update(task);
      last_status = task.last_status;
      if (task.last_status == "STOPPED") return task;
    }

    auto wait = interval;
    if (options.deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *options.deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Error::Timeout("task " + task_arn + " is still " + last_status);
      wait = std::min(wait, left);
    }
    if (!options.sleep(wait)) return Error::Interrupted("interrupted while task was " + last_status);
    interval = std::min(options.intervals.max, interval + (interval + milliseconds(1)) / 2);
  }
}

std::optional<int> TaskExitCode(const EcsTask& task, const std::vector<std::string>& essential) {
  std::optional<int> code;
  for (const EcsContainer& c : task.containers) {
    if (!essential.empty() && std::find(essential.begin(), essential.end(), c.name) == essential.end()) {
      continue;
    }
    if (!c.exit_code) continue;
    if (*c.exit_code != 0) return c.exit_code;
    code = 0;
  }
  return code;
}

TaskVerdict JudgeStoppedTask(const EcsTask& task, const std::vector<std::string>& essential) {
  TaskVerdict verdict;
  verdict.exit_code = TaskExitCode(task, essential);
  const std::string& code = task.stop_code;
  if (code == "SpotInterruption" || code == "TerminationNotice" ||
      code == "ServiceSchedulerInitiated") {
    verdict.retryable = true;
    verdict.reason = "ECS stopped the task before it finished: " + DescribeStop(task);
  } else if (code == "UserInitiated") {
    verdict.reason = "the task was stopped by StopTask before it finished: " + DescribeStop(task);
  } else if (code == "TaskFailedToStart" || !verdict.exit_code) {
    verdict.retryable = true;
    verdict.reason = "the task stopped before its containers ran: " + DescribeStop(task);
  } else if (!code.empty() && code != "EssentialContainerExited") {
    verdict.reason = "the task stopped with stop code " + DescribeStop(task);
  } else if (*verdict.exit_code != 0) {
    verdict.retryable = true;
    verdict.reason = "the task's essential container exited with " +
                     std::to_string(*verdict.exit_code);
  } else {
    verdict.succeeded = true;
  }
  return verdict;
}

std::string DescribeStop(const EcsTask& task) {
  std::string text = task.stop_code.empty() ? "stopped" : task.stop_code;
  if (!task.stopped_reason.empty()) text += ": " + task.stopped_reason;
  for (const EcsContainer& c : task.containers) {
    if (!c.reason.empty()) text += " (" + c.name + ": " + c.reason + ")";
  }
  return text;
}

}  // namespace sluice
