// sluice-trigger: runs an action for each event read from stdin (sluice-watch's JSON Lines, or S3
// Event Notifications), a local command or an ECS task, and writes one result line per event.
// Argument parsing here; the work is in sluice/trigger/trigger_runner.h and the actions it runs.
#include <signal.h>
#include <unistd.h>

#include <random>

#include "sluice/cli/json_lines.h"
#include "sluice/cli/run_task_flags.h"
#include "sluice/cli/tool_main.h"
#include "sluice/ecs/ecs_task_target.h"
#include "sluice/ecs/run_task_request.h"
#include "sluice/os/interrupt.h"
#include "sluice/services/default_client_context.h"
#include "sluice/trigger/ecs_task_action.h"
#include "sluice/trigger/exec_action.h"
#include "sluice/trigger/job_report.h"
#include "sluice/trigger/lambda_action.h"
#include "sluice/trigger/mqtt_publish_action.h"
#include "sluice/trigger/sqs_acknowledger.h"
#include "sluice/trigger/trigger_runner.h"
#include "sluice/util/duration.h"
#include "sluice/util/exit_codes.h"
#include "sluice/util/logging.h"

namespace sluice {
namespace {

constexpr std::string_view kTool = "sluice-trigger";

struct Flags {
  CommonFlags common;
  bool exec = false;
  std::vector<std::string> command;
  std::vector<std::string> env;
  int max_parallel = 1;
  std::string debounce = "0s";
  int retries = 0;
  std::string retry_delay = "1s";
  std::string max_retry_delay = "1m";
  std::string timeout;
  std::string grace = "30s";
  std::string events = "created,updated,exists";
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool strict = false;
  RunTaskFlags ecs;
  bool wait = false;
  std::string visibility_timeout = "2m";
  std::string journal;
  std::string journal_lease;  // empty: 60s
  std::string lambda_function;
  std::string publish;  // mqtt://host/topic-template
  std::string report;   // s3://bucket/prefix/{key}.json or mqtt://host/topic/{key}
  bool retain = false;
  std::string payload;
  std::string invocation_type = "RequestResponse";
};

class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::chrono::milliseconds Duration(const std::string& flag, const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok()) throw UsageError(flag + ": " + d.error().message);
  return *d;
}

EventTemplate Template(const std::string& flag, const std::string& text) {
  auto t = EventTemplate::Parse(text);
  if (!t.ok()) throw UsageError(flag + ": " + t.error().message);
  return std::move(t).value();
}

template <typename T>
T UsageChecked(Result<T> result) {
  if (!result.ok()) throw UsageError(result.error().message);
  return std::move(result).value();
}

TriggerOptions RunnerOptions(const Flags& flags) {
  TriggerOptions options;
  if (flags.max_parallel < 1 || flags.max_parallel > 1024) {
    throw UsageError("--max-parallel must be from 1 to 1024");
  }
  options.max_parallel = flags.max_parallel;
  if (flags.retries < 0) throw UsageError("--retries must be 0 or more");
  options.retries = flags.retries;
  options.retry_delay = Duration("--retry-delay", flags.retry_delay);
  options.max_retry_delay = Duration("--max-retry-delay", flags.max_retry_delay);
  options.debounce = Duration("--debounce", flags.debounce);
  options.grace = Duration("--grace-period", flags.grace);
  auto events = ParseChangeKinds(flags.events);
  if (!events.ok()) throw UsageError("--events: " + events.error().message);
  options.events = *events;
  for (const auto& [patterns, out] :
       {std::pair{&flags.include, &options.include}, std::pair{&flags.exclude, &options.exclude}}) {
    for (const std::string& p : *patterns) {
      auto glob = Glob::Parse(p);
      if (!glob.ok()) throw UsageError(glob.error().message);
      out->push_back(std::move(glob).value());
    }
  }
  options.strict = flags.strict;
  return options;
}

std::vector<std::pair<std::string, EventTemplate>> EnvTemplates(const Flags& flags) {
  std::vector<std::pair<std::string, EventTemplate>> env;
  for (const std::string& text : flags.env) {
    auto [name, value] = UsageChecked(ParseNameValue("--env", text));
    env.emplace_back(name, Template("--env " + name, value));
  }
  return env;
}

std::vector<EventTemplate> CommandTemplates(const Flags& flags) {
  std::vector<EventTemplate> command;
  for (const std::string& arg : flags.command) command.push_back(Template("command", arg));
  return command;
}

std::unique_ptr<TriggerAction> MakeExec(const Flags& flags) {
  if (flags.command.empty()) throw UsageError("--exec needs a command after --: --exec -- CMD ARG...");
  ExecActionOptions options;
  options.argv = CommandTemplates(flags);
  options.env = EnvTemplates(flags);
  if (!flags.timeout.empty()) options.timeout = Duration("--timeout", flags.timeout);
  return MakeExecAction(std::move(options));
}

// Also checks, before any event is read, that the function exists and may be read: a typo fails
// once, at start, not once per event.
Result<std::unique_ptr<TriggerAction>> MakeLambda(const Flags& flags) {
  if (!flags.env.empty()) {
    throw UsageError("--env is for commands and tasks; a function gets the event as its payload "
                     "(or --payload)");
  }
  if (!flags.command.empty()) {
    throw UsageError("--lambda-function takes no command: the event is the payload");
  }
  if (flags.wait) {
    throw UsageError("--wait is for ECS tasks; --invocation-type RequestResponse (the default) "
                     "waits for the function");
  }
  if (!flags.timeout.empty()) {
    throw UsageError("--timeout is for commands and tasks; a function has its own timeout");
  }
  LambdaActionOptions options;
  auto [function, qualifier] = SplitFunctionQualifier(flags.lambda_function);
  if (function.empty()) throw UsageError("--lambda-function needs NAME[:QUALIFIER] or an ARN");
  options.function = function;
  options.qualifier = qualifier;
  if (flags.invocation_type != "RequestResponse" && flags.invocation_type != "Event") {
    throw UsageError("--invocation-type must be RequestResponse or Event");
  }
  options.invocation_type = flags.invocation_type;
  if (!flags.payload.empty()) options.payload = Template("--payload", flags.payload);

  auto context = MakeClientContext(ToClientOptions(flags.common));
  if (!context.ok()) return context.error();
  auto made = LambdaClient::Make(std::move(context).value());
  if (!made.ok()) return made.error();
  std::shared_ptr<LambdaClient> lambda = std::move(made).value();
  auto config = lambda->GetFunctionConfiguration(options.function, options.qualifier);
  if (!config.ok()) {
    Error e = config.error();
    e.message = "cannot use function " + flags.lambda_function + ": " + e.message +
                (e.code == "ResourceNotFoundException"
                     ? " (check the name, the qualifier and --region)"
                     : e.code == "AccessDeniedException"
                           ? " (it needs lambda:GetFunctionConfiguration and lambda:InvokeFunction)"
                           : "");
    return e;
  }
  // Lambda's Timeout is 1 to 900 seconds; the HTTP client would give up on a silent answer
  // after one minute, and its retry would invoke the function again.
  if (auto timeout = config->find("Timeout"); timeout != config->end() && timeout->is_number_integer()) {
    options.function_timeout = std::chrono::seconds(timeout->get<int64_t>());
  }
  return MakeLambdaAction(std::move(lambda), std::move(options));
}

// Connects at start: a wrong host, password or certificate fails once, not per event.
Result<std::unique_ptr<TriggerAction>> MakePublish(const Flags& flags) {
  // What the other actions take and this one would ignore.
  for (const auto& [given, flag] : {std::pair{!flags.env.empty(), "--env"},
                                    std::pair{!flags.command.empty(), "a command after --"},
                                    std::pair{flags.wait, "--wait"},
                                    std::pair{!flags.timeout.empty(), "--timeout"},
                                    std::pair{!flags.payload.empty(), "--payload"}}) {
    if (given) {
      throw UsageError(std::string(flag) + " has no use with --publish: the event line is the "
                       "message");
    }
  }
  auto options = MakeMqttPublishOptions(flags.publish, ProcessEnvironment());
  if (!options.ok()) throw UsageError("--publish: " + options.error().message);
  options->retain = flags.retain;
  return MakeMqttPublishAction(std::move(options).value());
}

// Also checks, before any event is read, that the cluster, the task definition and the
// container exist: a typo fails once, at start, not once per event.
Result<std::unique_ptr<TriggerAction>> MakeEcs(const Flags& flags) {
  EcsTaskActionOptions options;
  options.request = UsageChecked(BuildRunTaskRequest(flags.ecs));
  options.env = EnvTemplates(flags);
  options.command = CommandTemplates(flags);
  options.wait = flags.wait;
  options.log = [](const std::string& line) { LogLine("sluice-trigger: " + line); };
  if (!flags.timeout.empty()) {
    if (!flags.wait) throw UsageError("--timeout with the ECS action needs --wait");
    options.timeout = Duration("--timeout", flags.timeout);
  }

  auto context = MakeClientContext(ToClientOptions(flags.common));
  if (!context.ok()) return context.error();
  auto ecs = EcsClient::Make(std::move(context).value());
  if (!ecs.ok()) return ecs.error();
  std::shared_ptr<EcsClient> client = std::move(ecs).value();
  bool overrides = !options.env.empty() || !options.command.empty();
  auto target = ResolveEcsTaskTarget(*client, flags.ecs, overrides);
  if (!target.ok()) return target.error();
  options.container = target->container;
  options.essential = target->essential;
  return MakeEcsTaskAction(std::move(client), std::move(options));
}

int Run(const Flags& flags) {
  SetVerbose(flags.common.verbose);
  bool ecs = !flags.ecs.cluster.empty() || !flags.ecs.task_definition.empty();
  std::unique_ptr<TriggerAction> action;
  TriggerOptions options;
  SqsAcknowledgerOptions ack_options;
  try {
    bool lambda = !flags.lambda_function.empty();
    bool publish = !flags.publish.empty();
    int actions = int(flags.exec) + int(ecs) + int(lambda) + int(publish);
    if (actions != 1) {
      throw UsageError(actions > 1 ? "choose one action: --exec, --cluster/--task-definition, "
                                     "--lambda-function or --publish"
                                   : "no action: give --exec -- CMD..., --cluster C "
                                     "--task-definition FAMILY[:REV], --lambda-function NAME, or "
                                     "--publish mqtt://HOST/TOPIC");
    }
    if (flags.retain && !publish) throw UsageError("--retain needs --publish");
    options = RunnerOptions(flags);
    auto visibility = Duration("--visibility-timeout", flags.visibility_timeout);
    // SQS's own bounds: a message may be hidden for at most 12 hours; a third of it (the
    // heartbeat) must leave time for a call.
    if (visibility < std::chrono::seconds(3) || visibility > std::chrono::hours(12)) {
      throw UsageError("--visibility-timeout must be from 3s to 12h");
    }
    ack_options.visibility = std::chrono::duration_cast<std::chrono::seconds>(visibility);
    if (flags.exec) {
      action = MakeExec(flags);
    } else {
      // These check what they act on before any input is read: a typo fails once, at start.
      auto made = publish ? MakePublish(flags) : lambda ? MakeLambda(flags) : MakeEcs(flags);
      if (!made.ok()) {
        PrintError(kTool, made.error());
        return kExitFailure;
      }
      action = std::move(made).value();
    }
  } catch (const UsageError& e) {
    return PrintUsageError(kTool, e.what());
  }

  // Events from sluice-watch --sqs-queue carry their message: it is kept hidden while the work
  // runs and deleted when it is done. Connected to SQS only when such an event arrives.
  ack_options.log = [](const std::string& line) { LogLine(std::string(kTool) + ": " + line); };
  auto sqs_calls = MakeSqsMessageCalls([&flags]() -> Result<std::shared_ptr<SqsClient>> {
    auto context = MakeClientContext(ToClientOptions(flags.common));
    if (!context.ok()) return context.error();
    auto sqs = SqsClient::Make(std::move(context).value());
    if (!sqs.ok()) return sqs.error();
    return std::shared_ptr<SqsClient>(std::move(sqs).value());
  });
  SqsAcknowledger acknowledger(*sqs_calls, ack_options);
  acknowledger.StartHeartbeat();

  InstallInterruptHandlers();  // a wait for a dead holder's lease on --journal s3://… ends on Ctrl-C
  std::unique_ptr<TriggerJournal> journal;
  if (!flags.journal.empty()) {
    bool in_s3 = flags.journal.rfind("s3://", 0) == 0;
    std::chrono::milliseconds lease{60000};
    if (!flags.journal_lease.empty()) {
      if (!in_s3) return PrintUsageError(kTool, "--journal-lease needs --journal s3://bucket/key");
      auto parsed = ParseDuration(flags.journal_lease);
      if (!parsed.ok()) return PrintUsageError(kTool, "--journal-lease: " + parsed.error().message);
      if (parsed->count() < 3000) return PrintUsageError(kTool, "--journal-lease must be at least 3s");
      lease = *parsed;
    }
    std::shared_ptr<const ClientContext> context;
    if (in_s3) {
      auto made = MakeClientContext(ToClientOptions(flags.common));
      if (!made.ok()) {
        PrintError(kTool, made.error());
        return kExitFailure;
      }
      context = std::move(made).value();
    }
    LeasedObjectDeps lease_deps;
    lease_deps.clock = &RealClock();
    lease_deps.sleep = [](std::chrono::milliseconds d) { return SleepUnlessInterrupted(d); };
    lease_deps.log = [](const std::string& line) { LogLine(std::string(kTool) + ": " + line); };
    auto opened = TriggerJournal::OpenAt(flags.journal, context, lease, std::move(lease_deps));
    if (!opened.ok()) {
      if (opened.error().kind == ErrorKind::kInvalidArgument) {
        return PrintUsageError(kTool, opened.error().message);
      }
      PrintError(kTool, opened.error());
      return opened.error().kind == ErrorKind::kInterrupted ? kExitInterrupted : kExitFailure;
    }
    journal = std::move(opened).value();
    journal->StartRenewing();
  }

  std::unique_ptr<JobReporter> reporter;
  if (!flags.report.empty()) {
    JobReporterDeps report_deps;
    report_deps.context = [&flags]() -> Result<std::shared_ptr<const ClientContext>> {
      auto made = MakeClientContext(ToClientOptions(flags.common));
      if (!made.ok()) return made.error();
      return std::shared_ptr<const ClientContext>(std::move(made).value());
    };
    report_deps.env = &ProcessEnvironment();
    report_deps.now = [] { return RealClock().Now(); };
    report_deps.log = [](const std::string& line) { LogLine(std::string(kTool) + ": " + line); };
    auto made = MakeJobReporter(flags.report, std::move(report_deps));
    if (!made.ok()) {
      if (made.error().kind == ErrorKind::kInvalidArgument) {
        return PrintUsageError(kTool, made.error().message);
      }
      PrintError(kTool, made.error());
      return kExitFailure;
    }
    reporter = std::move(made).value();
  }

  auto input = MakeFdLineSource(STDIN_FILENO, options.max_line);
  std::mt19937_64 random(std::random_device{}());
  std::mutex random_mutex;
  TriggerDeps deps;
  deps.input = input.get();
  deps.acknowledger = &acknowledger;
  deps.journal = journal.get();
  deps.reporter = reporter.get();
  deps.emit = [](const nlohmann::json& result) { return WriteJsonLine(result); };
  deps.log = [](const std::string& line) { LogLine(std::string(kTool) + ": " + line); };
  deps.interrupted = [] { return Interrupted(); };
  deps.now = [] { return RealClock().Now(); };
  deps.random01 = [&] {
    std::lock_guard lock(random_mutex);
    return std::uniform_real_distribution<double>(0.0, 1.0)(random);
  };
  return RunTrigger(options, *action, deps);
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  using namespace sluice;
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is a failed write, not a signal
  Flags flags;
  CLI::App app{
      "Run an action for each event read from stdin, and write one JSON result line per event.\n"
      "Input: sluice-watch's JSON Lines, or S3 Event Notifications / EventBridge S3 events, one "
      "per line.\n"
      "Actions: --exec -- CMD ARG... runs a local command (no shell; {key}, {bucket}, {uri}, ... "
      "in arguments and --env values are replaced, and SLUICE_KEY, SLUICE_URI, ... are set);\n"
      "--cluster C --task-definition FAMILY[:REV] starts an ECS task (a command after -- "
      "overrides the container's);\n"
      "--lambda-function NAME[:QUALIFIER] invokes a Lambda function with the event as payload;\n"
      "--publish mqtt://HOST/TOPIC publishes the event to an MQTT broker (QoS 1).\n"
      "Result: event, line, action, status (succeeded|failed|skipped|cancelled), exit_code, "
      "task_arn, response, topic, attempts, started_at, finished_at, seconds, error. See man "
      "sluice-trigger.\n"
      "Exit: 0 all succeeded, 1 something failed, 2 usage, 65 bad input with --strict, 130 "
      "interrupted.",
      "sluice-trigger"};
  AddCommonFlags(app, flags.common);
  app.add_flag("--exec", flags.exec, "run the command after -- for each event");
  app.add_option("COMMAND", flags.command, "the command (after --)");
  app.add_option("--env", flags.env,
                 "NAME=TEMPLATE: set in the command's (or the task container's) environment, "
                 "e.g. INPUT_KEY={key} (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--max-parallel", flags.max_parallel, "actions running at once (default 1)");
  app.add_option("--debounce", flags.debounce,
                 "hold each event this long; later events for the same uri replace it (default 0s)");
  app.add_option("--retries", flags.retries, "attempts after a failed one (default 0)");
  app.add_option("--retry-delay", flags.retry_delay,
                 "first retry waits up to this long, doubling each time, with full jitter (default 1s)");
  app.add_option("--max-retry-delay", flags.max_retry_delay, "cap on one retry's wait (default 1m)");
  app.add_option("--timeout", flags.timeout,
                 "stop an attempt after this long (a command; a task with --wait) and fail it with 124");
  app.add_option("--grace-period", flags.grace,
                 "after SIGINT/SIGTERM, running actions get this long before they are stopped "
                 "(default 30s)");
  app.add_option("--events", flags.events,
                 "which events to act on (default created,updated,exists; deleted is opt-in)");
  app.add_option("--include", flags.include, "act only on keys matching this glob (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--exclude", flags.exclude, "skip keys matching this glob (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--strict", flags.strict, "a bad input line ends the run with exit 65");
  AddRunTaskFlags(app, flags.ecs, "sluice-trigger");
  app.add_flag("--wait", flags.wait,
               "wait until each task stops; its essential container's exit code is the result");
  app.add_option("--publish", flags.publish,
                 "publish each event, as a sluice-watch line, to mqtt[s]://HOST[:PORT]/TOPIC "
                 "(a template: artifacts/{basename}) with QoS 1; SLUICE_MQTT_USERNAME and "
                 "SLUICE_MQTT_PASSWORD");
  app.add_option("--report", flags.report,
                 "write each job's status document (running, then succeeded or failed) to "
                 "s3://BUCKET/PREFIX/{key}.json, or publish it retained to mqtt://HOST/TOPIC/{key}");
  app.add_flag("--retain", flags.retain,
               "with --publish: the broker keeps each topic's last event for new subscribers");
  app.add_option("--lambda-function", flags.lambda_function,
                 "invoke this Lambda function (NAME[:QUALIFIER] or ARN) per event, with the event "
                 "as its payload; a function error is a failed attempt");
  app.add_option("--payload", flags.payload,
                 "with --lambda-function: this JSON template instead of the event ({key} and the "
                 "other placeholders, JSON-escaped)");
  app.add_option("--invocation-type", flags.invocation_type,
                 "with --lambda-function: RequestResponse (wait for the function, its response in "
                 "the result line; default) or Event (queued, fire and forget)");
  app.add_option("--journal", flags.journal,
                 "keep what was accepted and how it ended in this file, or S3 object "
                 "(s3://bucket/key): after a kill -9 the events not finished run first, and "
                 "those finished are not run again");
  app.add_option("--journal-lease", flags.journal_lease,
                 "with --journal s3://...: how long a sluice-trigger that stopped renewing its "
                 "hold on the journal (killed, machine lost) keeps others from taking it over "
                 "(default 60s)");
  app.add_option("--visibility-timeout", flags.visibility_timeout,
                 "events from sluice-watch --sqs-queue: keep each message hidden this long at a "
                 "time, renewed every third of it while its work waits or runs (default 2m)");
  return RunToolMain(app, argc, argv, [&] { return Run(flags); });
}
