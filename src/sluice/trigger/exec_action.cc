#include "sluice/trigger/exec_action.h"

#include <signal.h>

#include <cctype>

#include "sluice/os/subprocess.h"
#include "sluice/util/duration.h"

namespace sluice {
namespace {

class ExecAction : public TriggerAction {
 public:
  explicit ExecAction(ExecActionOptions options) : options_(std::move(options)) {}

  std::string_view name() const override { return "exec"; }

  ActionOutcome Run(const TriggerEvent& event, int attempt,
                    const std::atomic<bool>& stop) override {
    ActionOutcome outcome;
    std::vector<std::string> argv;
    for (const EventTemplate& t : options_.argv) {
      auto arg = t.Expand(event, attempt);
      if (!arg.ok()) return Unrunnable(arg.error().message);
      argv.push_back(std::move(arg).value());
    }
    SpawnOptions spawn;
    spawn.env = EventEnvironment(event, attempt);
    for (const auto& [name, t] : options_.env) {
      auto value = t.Expand(event, attempt);
      if (!value.ok()) return Unrunnable(value.error().message);
      spawn.env.emplace_back(name, std::move(value).value());
    }
    spawn.stdout_to_stderr = true;
    spawn.own_process_group = true;
    auto process = Process::Spawn(argv, spawn);
    if (!process.ok()) return Unrunnable(process.error().message);

    CompletionOptions wait;
    wait.timeout = options_.timeout;
    wait.kill_grace = options_.kill_grace;
    wait.should_stop = [&stop] { return stop.load(); };
    Completion done = WaitOrTerminate(*process, wait);
    if (done.timed_out || done.stopped) {
      outcome.exit_code = done.timed_out ? 124 : 130;
      outcome.stopped = done.stopped;
      outcome.error = done.timed_out ? argv[0] + " did not finish within " +
                                           FormatDuration(options_.timeout) + " and was stopped"
                                     : argv[0] + " was stopped: interrupted";
      return outcome;
    }
    int status = done.exit_code;
    outcome.exit_code = status;
    outcome.succeeded = status == 0;
    if (!outcome.succeeded) {
      outcome.error = argv[0] + (status > 128 ? " was killed by signal " + std::to_string(status - 128)
                                              : " exited with " + std::to_string(status));
    }
    return outcome;
  }

 private:
  static ActionOutcome Unrunnable(std::string error) {
    ActionOutcome outcome;
    outcome.error = std::move(error);
    outcome.retryable = false;
    return outcome;
  }

  ExecActionOptions options_;
};

}  // namespace

std::unique_ptr<TriggerAction> MakeExecAction(ExecActionOptions options) {
  return std::make_unique<ExecAction>(std::move(options));
}

std::vector<std::pair<std::string, std::string>> EventEnvironment(const TriggerEvent& event,
                                                                  int attempt) {
  // SLUICE_EVENT is there also when the input line had no "event".
  std::vector<std::pair<std::string, std::string>> env = {{"SLUICE_EVENT", event.kind()}};
  for (const char* field : {"uri", "bucket", "key", "etag", "size", "last_modified",
                            "version_id", "source", "detected_at"}) {
    std::string name = "SLUICE_";
    for (const char* c = field; *c; ++c) name += static_cast<char>(std::toupper(*c));
    env.emplace_back(std::move(name), event.Field(field).value_or(""));
  }
  env.emplace_back("SLUICE_EVENT_ID", event.Id());
  env.emplace_back("SLUICE_ATTEMPT", std::to_string(attempt));
  env.emplace_back("SLUICE_EVENT_JSON",
                   event.fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return env;
}

}  // namespace sluice
