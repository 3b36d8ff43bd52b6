// What sluice-trigger does with each event: run a local command (exec_action.h), start an ECS
// task (ecs_task_action.h) or invoke a Lambda function (lambda_action.h). The runner (trigger_runner.h) owns retries, parallelism and the result
// lines; an action only makes one attempt.
#pragma once

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/event/trigger_event.h"

namespace sluice {

struct ActionOutcome {
  bool succeeded = false;
  std::optional<int> exit_code;  // the command's, or the task's container's with --wait
  std::string task_arn;
  std::string stop_code;    // the ECS task's, with --wait
  std::string error;        // why it failed, one line
  bool retryable = true;    // false when another attempt cannot help (a bad template, a 4xx)
  bool stopped = false;     // ended because `stop` was set
  // More result-line fields of this action's own (a Lambda function's response); null: none.
  nlohmann::json fields;
};

// An attempt that failed with `error`, worth another attempt or not.
inline ActionOutcome FailedAttempt(std::string error, bool retryable) {
  ActionOutcome outcome;
  outcome.error = std::move(error);
  outcome.retryable = retryable;
  return outcome;
}

class TriggerAction {
 public:
  virtual ~TriggerAction() = default;
  virtual std::string_view name() const = 0;  // "exec", "ecs", "lambda"
  // One attempt (1-based). Called from several worker threads at once. When `stop` becomes true
  // the attempt should end soon (the command is terminated; a task is left running).
  virtual ActionOutcome Run(const TriggerEvent& event, int attempt,
                            const std::atomic<bool>& stop) = 0;
};

}  // namespace sluice
