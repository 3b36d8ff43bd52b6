#include "sluice/trigger/ecs_task_action.h"

#include <thread>

#include "sluice/event/sqs_message_ref.h"
#include "sluice/net/retry_policy.h"
#include "sluice/util/crypto.h"
#include "sluice/util/duration.h"

namespace sluice {
namespace {

constexpr std::chrono::milliseconds kStopCheck{100};

class EcsTaskAction : public TriggerAction {
 public:
  EcsTaskAction(std::shared_ptr<EcsClient> ecs, EcsTaskActionOptions options)
      : ecs_(std::move(ecs)), options_(std::move(options)) {}

  std::string_view name() const override { return "ecs"; }

  ActionOutcome Run(const TriggerEvent& event, int attempt,
                    const std::atomic<bool>& stop) override {
    RunTaskRequest request = options_.request;
    if (!options_.env.empty() || !options_.command.empty()) {
      ContainerOverride container{options_.container, std::nullopt, {}};
      for (const auto& [name, t] : options_.env) {
        auto value = t.Expand(event, attempt);
        if (!value.ok()) return FailedAttempt(value.error().message, false);
        container.environment.emplace_back(name, std::move(value).value());
      }
      if (!options_.command.empty()) {
        container.command.emplace();
        for (const EventTemplate& t : options_.command) {
          auto arg = t.Expand(event, attempt);
          if (!arg.ok()) return FailedAttempt(arg.error().message, false);
          container.command->push_back(std::move(arg).value());
        }
      }
      request.container_overrides.push_back(std::move(container));
    }
    request.client_token =
        EventClientToken(request.cluster, request.task_definition, event, attempt);
    // A redelivered message whose earlier delivery's task failed: ECS keeps a clientToken for
    // 24 hours and answers it with that stopped task. Its failure is why SQS delivers the
    // message again, so the next link of the token's chain starts a new task; a task that is
    // running or succeeded (the earlier delivery's reader died) is the one waited for.
    auto sqs = FindSqsMessageRef(event.fields);
    const bool redelivered = options_.wait && sqs && sqs->receive_count > 1;

    ActionOutcome outcome;
    for (int link = 0;; ++link) {
      auto started = ecs_->RunTask(request);
      if (!started.ok()) {
        return FailedAttempt(started.error().ToString(),
                      ClassifyFailure(started.error()) != FailureClass::kNotRetryable);
      }
      if (started->tasks.empty()) {
        // Capacity and placement failures pass: worth another attempt.
        return FailedAttempt("RunTask started no task: " + DescribeFailures(started->failures), true);
      }
      outcome.task_arn = started->tasks.front().arn;
      // A message is delivered at most maxReceiveCount times (at most 1,000): so many links.
      if (!redelivered || link >= sqs->receive_count) break;
      std::optional<std::string> failed = FailedInAnEarlierDelivery(outcome.task_arn);
      if (!failed) break;
      if (options_.log) {
        options_.log("ECS gave back " + outcome.task_arn + " for this event's clientToken: an " +
                     "earlier delivery of its message started it and it failed (" + *failed +
                     "); starting a new task for delivery " + std::to_string(sqs->receive_count));
      }
      request.client_token = NextClientToken(request.client_token, outcome.task_arn);
    }
    if (!options_.wait) {
      outcome.succeeded = true;
      return outcome;
    }
    return WaitForResult(std::move(outcome), stop);
  }

 private:
  // The reason `task_arn` failed when it has already stopped with a failure (it was started
  // by an earlier call with the same clientToken); nullopt when it runs, succeeded, or cannot
  // be seen (the wait that follows deals with that).
  std::optional<std::string> FailedInAnEarlierDelivery(const std::string& task_arn) {
    auto seen = ecs_->DescribeTasks(options_.request.cluster, {task_arn});
    if (!seen.ok() || seen->tasks.empty()) return std::nullopt;
    const EcsTask& task = seen->tasks.front();
    if (task.last_status != "STOPPED") return std::nullopt;
    TaskVerdict verdict = JudgeStoppedTask(task, options_.essential);
    if (verdict.succeeded) return std::nullopt;
    return verdict.reason;
  }

  ActionOutcome WaitForResult(ActionOutcome outcome, const std::atomic<bool>& stop) {
    TaskWaitOptions wait;
    wait.intervals = options_.intervals;
    wait.missing_grace = options_.missing_grace;
    if (options_.timeout.count() > 0) {
      wait.deadline = std::chrono::steady_clock::now() + options_.timeout;
    }
    wait.sleep = [&stop](std::chrono::milliseconds duration) {
      auto until = std::chrono::steady_clock::now() + duration;
      while (std::chrono::steady_clock::now() < until) {
        if (stop.load()) return false;
        std::this_thread::sleep_for(std::min(kStopCheck, duration));
      }
      return !stop.load();
    };
    const std::string& cluster = options_.request.cluster;
    wait.on_not_visible_yet = [this, &outcome](const std::string& reason) {
      if (options_.log) {
        options_.log("ECS does not show " + outcome.task_arn + " yet (" + reason +
                     "): waiting for it, not starting another");
      }
    };
    auto task = WaitForTaskStopped(*ecs_, cluster, outcome.task_arn, wait);
    if (!task.ok()) {
      const Error& error = task.error();
      // RunTask did start this task: another attempt would start a second one.
      outcome.retryable = false;
      if (error.kind == ErrorKind::kInterrupted) {
        outcome.stopped = true;
        outcome.error = "interrupted while waiting; the task goes on running: " + outcome.task_arn;
      } else if (error.kind == ErrorKind::kTimeout) {
        Status stopped = ecs_->StopTask(cluster, outcome.task_arn,
                                        "sluice-trigger: did not stop within --timeout " +
                                            FormatDuration(options_.timeout));
        outcome.exit_code = 124;
        outcome.error = error.message + " after " + FormatDuration(options_.timeout) +
                        (stopped.ok() ? "; stopped it" : "; StopTask failed: " +
                                                             stopped.error().ToString());
      } else {
        outcome.error = error.ToString() + "; not started again";
      }
      return outcome;
    }
    TaskVerdict verdict = JudgeStoppedTask(*task, options_.essential);
    outcome.exit_code = verdict.exit_code;
    outcome.stop_code = task->stop_code;
    outcome.succeeded = verdict.succeeded;
    outcome.retryable = verdict.retryable;
    outcome.error = verdict.reason;
    return outcome;
  }

  std::shared_ptr<EcsClient> ecs_;
  EcsTaskActionOptions options_;
};

}  // namespace

std::unique_ptr<TriggerAction> MakeEcsTaskAction(std::shared_ptr<EcsClient> ecs,
                                                 EcsTaskActionOptions options) {
  return std::make_unique<EcsTaskAction>(std::move(ecs), std::move(options));
}

std::string NextClientToken(const std::string& token, const std::string& failed_task_arn) {
  return Sha256Hex("sluice-trigger next\n" + token + "\n" + failed_task_arn);
}

std::string EventClientToken(const std::string& cluster, const std::string& task_definition,
                             const TriggerEvent& event, int attempt) {
  return Sha256Hex("sluice-trigger\n" + cluster + "\n" + task_definition + "\n" +
                   event.Identity() + "\n" + std::to_string(attempt));
}

}  // namespace sluice
