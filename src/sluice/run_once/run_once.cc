#include "sluice/run_once/run_once.h"

#include <algorithm>

#include "sluice/ecs/ecs_task_definition.h"
#include "sluice/net/retry_policy.h"
#include "sluice/os/subprocess.h"
#include "sluice/run_once/log_poll_pacer.h"
#include "sluice/util/duration.h"
#include "sluice/util/exit_codes.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;

nlohmann::json OptionalTime(const std::optional<SystemTime>& time) {
  return time ? nlohmann::json(FormatIso8601(*time)) : nlohmann::json(nullptr);
}

// Which container's output to stream: the one overrides went to, else the first essential one
// with awslogs, else any with awslogs.
std::optional<LogLocation> ChooseLogs(const EcsTaskTarget& target, const std::string& task_id) {
  std::vector<std::string> candidates;
  if (!target.container.empty()) candidates.push_back(target.container);
  for (const std::string& name : target.essential) candidates.push_back(name);
  for (const std::string& name : ContainerNames(target.definition)) candidates.push_back(name);
  for (const std::string& name : candidates) {
    if (auto location = AwslogsLocation(target.definition, name, task_id)) return location;
  }
  return std::nullopt;
}

class TaskRun {
 public:
  TaskRun(const RunOnceOptions& options, const RunOnceDeps& deps)
      : options_(options), deps_(deps), started_(std::chrono::steady_clock::now()) {}

  int Run() {
    if (deps_.interrupted && deps_.interrupted()) {
      deps_.log("interrupted before the task was started: none was");
      return kExitInterrupted;
    }
    auto started = deps_.ecs->RunTask(options_.request);
    if (!started.ok()) {
      deps_.log(started.error().ToString());
      return kExitFailure;
    }
    if (started->tasks.empty()) {
      std::string reasons = DescribeFailures(started->failures);
      deps_.log("RunTask started no task: " + reasons);
      result_["stopped_reason"] = reasons;
      Emit();
      return kExitFailure;
    }
    task_ = started->tasks.front();
    result_["task_arn"] = task_.arn;
    result_["task_definition_arn"] = task_.task_definition_arn;
    deps_.log("started " + task_.arn);
    if (deps_.logs != nullptr && options_.follow_logs) {
      auto location = ChooseLogs(options_.target, TaskIdFromArn(task_.arn));
      if (location && !location->region.empty() && !options_.region.empty() &&
          location->region != options_.region) {
        deps_.log("the task logs to " + location->region + " (awslogs-region), not " +
                  options_.region + ": its output is not followed");
      } else if (location) {
        follower_.emplace(*deps_.logs, location->group, location->stream);
        result_["log_group"] = location->group;
        result_["log_stream"] = location->stream;
      } else {
        deps_.log("no container of " + options_.request.task_definition +
                  " logs with awslogs and a stream prefix: its output is not followed");
      }
    }

    TaskWaitOptions wait;
    wait.intervals = options_.intervals;
    if (options_.timeout.count() > 0) wait.deadline = started_ + options_.timeout;
    wait.sleep = [this](milliseconds d) { return SleepFollowing(d); };
    wait.on_update = [this](const EcsTask& t) {
      if (t.last_status != "STOPPED") deps_.log("task is " + t.last_status);
    };
    wait.on_transient_error = [this](const Error& e) {
      deps_.log(e.ToString() + "; still waiting for the task");
    };
    wait.missing_grace = options_.missing_grace;
    wait.on_not_visible_yet = [this](const std::string& reason) {
      deps_.log("ECS does not show the task yet (" + reason + "): waiting for it");
    };
    auto stopped = WaitForTaskStopped(*deps_.ecs, options_.request.cluster, task_.arn, wait);
    if (stopped.ok()) return Finish(*stopped, std::nullopt);

    const Error& error = stopped.error();
    if (error.kind == ErrorKind::kTimeout) {
      deps_.log("the task did not stop within --timeout " + FormatDuration(options_.timeout) +
                ": stopping it");
      return StopAndFinish("sluice-run-once: --timeout " + FormatDuration(options_.timeout),
                           kExitTimeout);
    }
    if (error.kind == ErrorKind::kInterrupted) {
      deps_.log("interrupted: stopping the task (Ctrl-C again to leave it running)");
      return StopAndFinish("sluice-run-once: interrupted", kExitInterrupted);
    }
    deps_.log(error.ToString() + "; the task may still be running: " + task_.arn);
    Emit();
    return kExitFailure;
  }

 private:
  // Sleeps `duration`, reading the logs whenever the pacer says it is time.
  bool SleepFollowing(milliseconds duration) {
    auto until = std::chrono::steady_clock::now() + duration;
    while (true) {
      auto now = std::chrono::steady_clock::now();
      auto left = std::chrono::ceil<milliseconds>(until - now);
      if (left.count() <= 0) return true;
      if (!follower_) return deps_.sleep(left);
      auto to_poll = std::chrono::ceil<milliseconds>(next_log_poll_ - now);
      if (to_poll.count() > 0 && !deps_.sleep(std::min(left, to_poll))) return false;
      if (std::chrono::steady_clock::now() >= next_log_poll_) ReadLogs();
    }
  }

  enum class LogRead { kLines, kNothing, kThrottled, kFailed };

  LogRead ReadLogs() {
    if (!follower_) return LogRead::kNothing;
    auto read = follower_->Poll([this](const LogEvent& e) { deps_.output(e.message); });
    LogRead outcome = LogRead::kNothing;
    if (!read.ok()) {
      outcome = ClassifyFailure(read.error()) == FailureClass::kThrottling ? LogRead::kThrottled
                                                                           : LogRead::kFailed;
      if (outcome == LogRead::kThrottled) {
        pacer_.Throttled();
        if (!throttle_warned_) {
          deps_.log("GetLogEvents is throttled (the account's quota is shared): reading logs "
                    "less often");
          throttle_warned_ = true;
        }
      } else if (!logs_warned_) {
        deps_.log("cannot read logs (" + read.error().ToString() + "); still waiting for the task");
        logs_warned_ = true;
      }
    } else {
      pacer_.Read(*read);
      if (*read > 0) outcome = LogRead::kLines;
    }
    next_log_poll_ = std::chrono::steady_clock::now() + pacer_.interval();
    return outcome;
  }

  // The awslogs driver flushes as the container stops, so lines can land after STOPPED: read
  // at once, then again after each pause until a poll brings nothing new. A throttled poll is
  // waited out (a little longer each time), not taken for the end.
  void DrainLogs() {
    if (!follower_) return;
    LogRead read = ReadLogs();
    for (int round = 0; round < 30; ++round) {
      deps_.pause(read == LogRead::kThrottled
                      ? std::min(pacer_.interval(), options_.log_interval * 4)
                      : options_.log_interval);
      read = ReadLogs();
      if (read == LogRead::kNothing || read == LogRead::kFailed) return;
    }
  }

  int StopAndFinish(const std::string& reason, int exit_code) {
    Status stop = deps_.ecs->StopTask(options_.request.cluster, task_.arn, reason);
    if (!stop.ok()) {
      deps_.log("StopTask failed: " + stop.error().ToString() + "; the task may still be running");
      Emit();
      return exit_code;
    }
    TaskWaitOptions wait;
    wait.intervals = options_.intervals;
    wait.deadline = std::chrono::steady_clock::now() + options_.stop_wait;
    wait.sleep = [this](milliseconds d) {
      deps_.pause(d);
      if (std::chrono::steady_clock::now() >= next_log_poll_) ReadLogs();
      return true;
    };
    auto stopped = WaitForTaskStopped(*deps_.ecs, options_.request.cluster, task_.arn, wait);
    if (!stopped.ok()) {
      deps_.log("the task has not stopped yet (" + stopped.error().message + ")");
      Emit();
      return exit_code;
    }
    Finish(*stopped, exit_code);
    return exit_code;
  }

  // Fills the result from the stopped task and returns the tool's exit status: 0 only when
  // the stop code and the exit code both say it finished (JudgeStoppedTask).
  int Finish(const EcsTask& task, std::optional<int> forced_exit) {
    DrainLogs();
    TaskVerdict verdict = JudgeStoppedTask(task, options_.target.essential);
    result_["exit_code"] = verdict.exit_code ? nlohmann::json(*verdict.exit_code) : nlohmann::json(nullptr);
    result_["stop_code"] = task.stop_code;
    result_["stopped_reason"] = task.stopped_reason;
    result_["started_at"] = OptionalTime(task.started_at);
    result_["stopped_at"] = OptionalTime(task.stopped_at);
    Emit();
    if (forced_exit) return *forced_exit;
    if (verdict.succeeded) return 0;
    deps_.log(verdict.reason);
    // The task's own non-zero code is the most precise answer; a task that exited 0 but did not
    // finish (Spot reclaimed, stopped) or never ran is a failure.
    if (verdict.exit_code && *verdict.exit_code != 0) return *verdict.exit_code;
    return kExitFailure;
  }

  void Emit() {
    result_["seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    deps_.emit(result_);
  }

  const RunOnceOptions& options_;
  const RunOnceDeps& deps_;
  std::chrono::steady_clock::time_point started_;
  EcsTask task_;
  std::optional<LogFollower> follower_;
  LogPollPacer pacer_{{options_.log_interval, options_.log_idle_max, options_.log_throttled_max}};
  std::chrono::steady_clock::time_point next_log_poll_ = std::chrono::steady_clock::now();
  bool logs_warned_ = false;
  bool throttle_warned_ = false;
  nlohmann::json result_ = {{"task_arn", nullptr},
                            {"cluster", options_.request.cluster},
                            {"client_token", options_.request.client_token},
                            {"task_definition_arn", nullptr},
                            {"exit_code", nullptr},
                            {"stop_code", nullptr},
                            {"stopped_reason", nullptr},
                            {"started_at", nullptr},
                            {"stopped_at", nullptr},
                            {"log_group", nullptr},
                            {"log_stream", nullptr}};
};

}  // namespace

int RunOnce(const RunOnceOptions& options, const RunOnceDeps& deps) {
  TaskRun run(options, deps);
  return run.Run();
}

int RunLocal(const LocalRunOptions& options, const std::function<bool()>& interrupted,
             const RunOnceDeps& deps) {
  auto started_steady = std::chrono::steady_clock::now();
  nlohmann::json result = {{"task_arn", nullptr}, {"local", true}, {"command", options.argv},
                           {"started_at", FormatIso8601(deps.now())}};
  SpawnOptions spawn;
  spawn.env = options.env;
  spawn.stdout_to_stderr = true;
  spawn.own_process_group = true;
  auto process = Process::Spawn(options.argv, spawn);
  if (!process.ok()) {
    deps.log(process.error().message);
    return kExitFailure;
  }
  CompletionOptions wait;
  wait.timeout = options.timeout;
  wait.kill_grace = options.kill_grace;
  wait.should_stop = interrupted;
  Completion done = WaitOrTerminate(*process, wait);
  int exit_code = done.exit_code;
  if (done.timed_out) {
    deps.log(options.argv[0] + " did not finish within --timeout " +
             FormatDuration(options.timeout) + ": stopped it");
    exit_code = kExitTimeout;
  } else if (done.stopped) {
    deps.log("interrupted: stopped " + options.argv[0]);
    exit_code = kExitInterrupted;
  }
  result["exit_code"] = done.exit_code;
  result["stopped_at"] = FormatIso8601(deps.now());
  result["seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_steady).count();
  deps.emit(result);
  return exit_code;
}

}  // namespace sluice
