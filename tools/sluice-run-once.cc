// sluice-run-once: runs one ECS/Fargate task to completion, streams its CloudWatch logs to
// stderr, prints one JSON result line and exits with the task's exit code. --local runs the same
// job as a local process. Argument parsing here; the work is in sluice/run_once/run_once.h.
#include <signal.h>

#include <thread>

#include "sluice/cli/json_lines.h"
#include "sluice/cli/run_task_flags.h"
#include "sluice/cli/tool_main.h"
#include "sluice/ecs/ecs_task_target.h"
#include "sluice/ecs/run_task_request.h"
#include "sluice/os/interrupt.h"
#include "sluice/run_once/run_once.h"
#include "sluice/services/default_client_context.h"
#include "sluice/util/duration.h"
#include "sluice/util/exit_codes.h"
#include "sluice/util/logging.h"

namespace sluice {
namespace {

constexpr std::string_view kTool = "sluice-run-once";

struct Flags {
  CommonFlags common;
  RunTaskFlags ecs;
  std::vector<std::string> command_option;  // --command ARG...
  std::vector<std::string> command;         // after --
  std::vector<std::string> env;
  std::string cpu;
  std::string memory;
  std::string task_role_arn;
  std::string timeout;
  std::string client_token;
  bool no_logs = false;
  bool local = false;
};

int Usage(const std::string& message) { return PrintUsageError(kTool, message); }

int Run(Flags& flags) {
  SetVerbose(flags.common.verbose);
  if (!flags.command_option.empty() && !flags.command.empty()) {
    return Usage("give the command with --command or after --, not both");
  }
  std::vector<std::string> command =
      flags.command.empty() ? flags.command_option : flags.command;
  std::vector<std::pair<std::string, std::string>> env;
  for (const std::string& text : flags.env) {
    auto pair = ParseNameValue("--env", text);
    if (!pair.ok()) return Usage(pair.error().message);
    env.push_back(*pair);
  }
  std::chrono::milliseconds timeout{0};
  if (!flags.timeout.empty()) {
    auto parsed = ParseDuration(flags.timeout);
    if (!parsed.ok()) return Usage("--timeout: " + parsed.error().message);
    timeout = *parsed;
  }

  InstallInterruptHandlers();
  RunOnceDeps deps;
  deps.sleep = [](std::chrono::milliseconds d) { return SleepUnlessInterrupted(d); };
  deps.interrupted = [] { return Interrupted(); };
  deps.pause = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  deps.log = [](const std::string& line) { LogLine(std::string(kTool) + ": " + line); };
  deps.output = [](const std::string& line) { LogLine(line); };
  deps.emit = [](const nlohmann::json& result) { return WriteJsonLine(result); };
  deps.now = [] { return RealClock().Now(); };

  if (flags.local) {
    if (command.empty()) return Usage("--local needs the command after --: --local -- CMD ARG...");
    LocalRunOptions local;
    local.argv = command;
    local.env = env;
    local.timeout = timeout;
    return RunLocal(local, [] { return Interrupted(); }, deps);
  }

  auto request = BuildRunTaskRequest(flags.ecs);
  if (!request.ok()) return Usage(request.error().message);
  if (Status token = CheckClientToken(flags.client_token); !token.ok()) {
    return Usage(token.error().message);
  }
  // Always a token, so the HTTP layer's retry of RunTask cannot start a second task.
  request->client_token = flags.client_token.empty() ? NewClientToken() : flags.client_token;
  request->cpu = flags.cpu;
  request->memory = flags.memory;
  request->task_role_arn = flags.task_role_arn;

  auto context = MakeClientContext(ToClientOptions(flags.common));
  if (!context.ok()) {
    PrintError(kTool, context.error());
    return kExitFailure;
  }
  auto ecs = EcsClient::Make(*context);
  auto logs = LogsClient::Make(*context);
  if (!ecs.ok() || !logs.ok()) {
    PrintError(kTool, ecs.ok() ? logs.error() : ecs.error());
    return kExitFailure;
  }
  bool overrides = !env.empty() || !command.empty();
  auto target = ResolveEcsTaskTarget(**ecs, flags.ecs, overrides);
  if (!target.ok()) {
    PrintError(kTool, target.error());
    return kExitFailure;
  }
  if (overrides) {
    ContainerOverride container{target->container, std::nullopt, env};
    if (!command.empty()) container.command = command;
    request->container_overrides.push_back(std::move(container));
  }

  RunOnceOptions options;
  options.request = std::move(request).value();
  options.target = std::move(target).value();
  options.follow_logs = !flags.no_logs;
  options.region = (*context)->region;
  options.timeout = timeout;
  deps.ecs = ecs->get();
  deps.logs = logs->get();
  return RunOnce(options, deps);
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  using namespace sluice;
  signal(SIGPIPE, SIG_IGN);
  Flags flags;
  CLI::App app{
      "Run one ECS/Fargate task to completion, stream its CloudWatch logs to stderr, print one "
      "JSON result line and exit with its essential container's exit code.\n"
      "Result: task_arn, cluster, task_definition_arn, exit_code, stop_code, stopped_reason, "
      "started_at, stopped_at, log_group, log_stream, seconds. See man sluice-run-once.\n"
      "Exit: the task's exit code; 1 a task that never ran or a failure; 2 usage; 124 --timeout "
      "(the task is stopped); 130 interrupted (the task is stopped).",
      "sluice-run-once"};
  AddCommonFlags(app, flags.common);
  AddRunTaskFlags(app, flags.ecs, "sluice-run-once");
  app.add_option("--command", flags.command_option,
                 "override the container's command (or give it after --)");
  app.add_option("COMMAND", flags.command, "the command (after --)");
  app.add_option("--env", flags.env, "NAME=VALUE in the container's environment (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--cpu", flags.cpu, "task CPU units override, e.g. 1024");
  app.add_option("--memory", flags.memory, "task memory override in MiB, e.g. 2048");
  app.add_option("--task-role-arn", flags.task_role_arn, "IAM role the task's code runs as");
  app.add_option("--timeout", flags.timeout, "stop the task and exit 124 after this long");
  app.add_option("--client-token", flags.client_token,
                 "RunTask idempotency token (default: a new one per run): running again with the same "
                 "token within 24 h starts no second task");
  app.add_flag("--no-logs", flags.no_logs, "do not stream the task's CloudWatch logs");
  app.add_flag("--local", flags.local,
               "run the command after -- as a local process with the same --env, instead of ECS");
  return RunToolMain(app, argc, argv, [&] { return Run(flags); });
}
