#include "sluice/run_once/run_once.h"

#include <algorithm>

#include "sluice/ecs/ecs_task_definition.h"
#include "sluice/os/subprocess.h"
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
  // Sleeps `duration` in log_interval slices, reading the logs after each.
  bool SleepFollowing(milliseconds duration) {
    auto until = std::chrono::steady_clock::now() + duration;
    while (true) {
      auto left = std::chrono::ceil<milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return true;
      if (!deps_.sleep(std::min(left, follower_ ? options_.log_interval : left))) return false;
      ReadLogs();
    }
  }

  void ReadLogs() {
    if (!follower_) return;
    auto read = follower_->Poll([this](const LogEvent& e) { deps_.output(e.message); });
    if (!read.ok() && !logs_warned_) {
      deps_.log("cannot read logs (" + read.error().ToString() + "); still waiting for the task");
      logs_warned_ = true;
    }
  }

  // The awslogs driver flushes as the container stops, so lines can land after STOPPED: read
  // what is there, then again after each pause until a poll brings nothing new.
  void DrainLogs() {
    if (!follower_) return;
    ReadLogs();
    for (int round = 0; round < 30; ++round) {
      deps_.pause(options_.log_interval);
      auto read = follower_->Poll([this](const LogEvent& e) { deps_.output(e.message); });
      if (!read.ok() || *read == 0) return;
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
      ReadLogs();
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

  // Fills the result from the stopped task and returns the tool's exit status.
  int Finish(const EcsTask& task, std::optional<int> forced_exit) {
    DrainLogs();
    std::optional<int> code = TaskExitCode(task, options_.target.essential);
    result_["exit_code"] = code ? nlohmann::json(*code) : nlohmann::json(nullptr);
    result_["stop_code"] = task.stop_code;
    result_["stopped_reason"] = task.stopped_reason;
    result_["started_at"] = OptionalTime(task.started_at);
    result_["stopped_at"] = OptionalTime(task.stopped_at);
    Emit();
    if (forced_exit) return *forced_exit;
    if (!code) {
      deps_.log("the task stopped before its containers ran: " + DescribeStop(task));
      return kExitFailure;
    }
    if (*code != 0) deps_.log("the task's essential container exited with " + std::to_string(*code));
    return *code;
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
  bool logs_warned_ = false;
  nlohmann::json result_ = {{"task_arn", nullptr},
                            {"cluster", options_.request.cluster},
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
