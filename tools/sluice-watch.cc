// sluice-watch: emits a JSON line for each new, changed or deleted S3 object. Argument parsing
// here; the work is in sluice/watch/ (watch_loop.h, watchers.h, sqs_watch.h).
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "sluice/cli/json_lines.h"
#include "sluice/cli/tool_main.h"
#include "sluice/os/interrupt.h"
#include "sluice/os/output_backlog.h"
#include "sluice/services/default_client_context.h"
#include "sluice/util/duration.h"
#include "sluice/util/exit_codes.h"
#include "sluice/util/logging.h"
#include "sluice/watch/mqtt_watch.h"
#include "sluice/watch/s3_state_store.h"
#include "sluice/watch/sqs_watch.h"
#include "sluice/watch/watch_loop.h"
#include "sluice/watch/watchers.h"

namespace sluice {
namespace {

constexpr std::string_view kTool = "sluice-watch";

struct Flags {
  CommonFlags common;
  std::vector<std::string> targets;
  std::string interval = "10s";
  std::string timeout;
  std::string events = "created,updated,deleted";
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::string state;
  std::string state_lease;  // empty: 60s
  std::string sqs_queue;
  std::string client_id;
  bool once = false;
  bool initial = false;
  bool delete_on_emit = false;
  int max_parallel = 16;
};

int Usage(const std::string& message) { return PrintUsageError(kTool, message); }

int Run(const Flags& flags) {
  SetVerbose(flags.common.verbose);
  WatchOptions options;
  auto interval = ParseDuration(flags.interval);
  if (!interval.ok()) return Usage("--interval: " + interval.error().message);
  if (interval->count() < 100) return Usage("--interval must be at least 100ms");
  options.interval = *interval;
  if (!flags.timeout.empty()) {
    auto timeout = ParseDuration(flags.timeout);
    if (!timeout.ok()) return Usage("--timeout: " + timeout.error().message);
    options.timeout = *timeout;
  }
  auto events = ParseChangeKinds(flags.events);
  if (!events.ok()) return Usage("--events: " + events.error().message);
  options.events = *events;
  for (const auto& [patterns, out] :
       {std::pair{&flags.include, &options.include}, std::pair{&flags.exclude, &options.exclude}}) {
    for (const std::string& p : *patterns) {
      auto glob = Glob::Parse(p);
      if (!glob.ok()) return Usage(glob.error().message);
      out->push_back(std::move(glob).value());
    }
  }
  options.once = flags.once;
  options.initial = flags.initial;
  StateStoreOptions state_options;
  const bool state_in_s3 = flags.state.rfind("s3://", 0) == 0;
  if (!flags.state_lease.empty()) {
    if (!state_in_s3) return Usage("--state-lease needs --state s3://bucket/key");
    auto lease = ParseDuration(flags.state_lease);
    if (!lease.ok()) return Usage("--state-lease: " + lease.error().message);
    if (lease->count() < 3000) return Usage("--state-lease must be at least 3s");
    state_options.lease = *lease;
  }
  if (flags.max_parallel < 1 || flags.max_parallel > 256) {
    return Usage("--max-parallel must be from 1 to 256");
  }
  options.max_parallel = flags.max_parallel;
  bool sqs = !flags.sqs_queue.empty();
  if (sqs && (!flags.state.empty() || flags.initial)) {
    return Usage(std::string(flags.initial ? "--initial" : "--state") +
                 " has no use with --sqs-queue: the queue keeps what was not consumed yet");
  }
  if (flags.delete_on_emit && !sqs) return Usage("--delete-on-emit needs --sqs-queue");
  options.delete_on_emit = flags.delete_on_emit;
  if (flags.targets.empty() && !sqs) {
    return Usage("name at least one TARGET (s3://bucket/key or prefix/), or --sqs-queue URL");
  }

  InstallInterruptHandlers();
  WatchDeps deps;
  deps.clock = &RealClock();
  deps.emit = [](const nlohmann::json& event) { return WriteJsonLine(event); };
  deps.unread_output = [] { return UnreadOutputBytes(STDOUT_FILENO); };
  deps.sleep = [](std::chrono::milliseconds d) { return SleepUnlessInterrupted(d); };
  deps.interrupted = [] { return Interrupted(); };
  deps.log = [](const std::string& line) { LogLine(std::string(kTool) + ": " + line); };

  std::vector<std::string> mqtt_targets;
  std::copy_if(flags.targets.begin(), flags.targets.end(), std::back_inserter(mqtt_targets),
               [](const std::string& t) { return IsMqttUri(t); });
  if (!flags.client_id.empty() && mqtt_targets.empty())
    return Usage("--client-id needs an mqtt:// TARGET");
  if (!mqtt_targets.empty()) {
    if (mqtt_targets.size() != flags.targets.size() || sqs) {
      return Usage(
          "mqtt:// targets cannot be mixed with other targets or --sqs-queue: run one "
          "sluice-watch for each");
    }
    if (!flags.state.empty() || flags.initial) {
      return Usage(std::string(flags.initial ? "--initial" : "--state") +
                   " has no use with mqtt://: the broker keeps what was not acknowledged (give "
                   "--client-id for a persistent session)");
    }
    auto config = MakeMqttWatchConfig(mqtt_targets, flags.client_id, ProcessEnvironment());
    if (!config.ok()) return Usage(config.error().message);
    return RunMqttWatch(options, *config, deps);
  }

  std::vector<WatchTarget> targets;
  for (const std::string& text : flags.targets) {
    auto target = ParseWatchTarget(text);
    if (!target.ok()) return Usage(target.error().message);
    targets.push_back(std::move(target).value());
  }

  // Local paths need no AWS at all: no region, no credentials.
  bool needs_aws = sqs || state_in_s3 ||
                   std::any_of(targets.begin(), targets.end(),
                               [](const WatchTarget& t) { return t.kind != WatchTarget::kLocal; });
  std::shared_ptr<const ClientContext> context;
  if (needs_aws) {
    ClientOptions client = ToClientOptions(flags.common);
    // Ctrl-C ends a 20 s long poll (or a slow listing) at once: nothing is lost, since messages
    // are deleted only after their events are written and the state is saved after each poll.
    client.abort_when = [] { return Interrupted(); };
    auto made = MakeClientContext(client);
    if (!made.ok()) {
      PrintError(kTool, made.error());
      return kExitFailure;
    }
    context = std::move(made).value();
  }

  if (sqs) {
    auto client = SqsClient::Make(context);
    if (!client.ok()) {
      PrintError(kTool, client.error());
      return kExitFailure;
    }
    auto queue = MakeSqsMessageQueue(std::move(client).value(), flags.sqs_queue);
    return RunSqsWatch(options, *queue, targets, deps);
  }

  if (state_in_s3) {
    // The state's own writes would be changes of a prefix that holds it: a watcher that
    // wakes itself.
    auto state_object = ParseWatchTarget(flags.state);
    for (const WatchTarget& t : targets) {
      if (state_object.ok() && t.kind == WatchTarget::kS3Prefix &&
          t.bucket == state_object->bucket && state_object->key.rfind(t.key, 0) == 0) {
        return Usage("--state " + flags.state + " is under the watched " + t.uri +
                     ": its own writes would be events; keep it outside what is watched");
      }
    }
  }
  std::unique_ptr<StateStore> store;
  if (!flags.state.empty()) {
    LeasedObjectDeps store_deps;
    store_deps.clock = deps.clock;
    store_deps.sleep = deps.sleep;
    store_deps.log = deps.log;
    auto made = MakeStateStore(flags.state, context, state_options, std::move(store_deps));
    if (!made.ok()) {
      if (made.error().kind == ErrorKind::kInvalidArgument) return Usage(made.error().message);
      PrintError(kTool, made.error());
      return kExitFailure;
    }
    store = std::move(made).value();
    deps.state = store.get();
  }

  auto set = MakeWatchers(std::move(targets), context);
  if (!set.ok()) {
    PrintError(kTool, set.error());
    return kExitFailure;
  }
  ChangeWaiter* waiter = set->waiter.get();
  // With local paths, a change ends the wait at once (inotify); S3 targets keep the interval.
  if (waiter) deps.sleep = [waiter](std::chrono::milliseconds d) { return waiter->Wait(d); };
  return RunWatch(options, std::move(set->watchers), deps);
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  using namespace sluice;
  // A closed stdout (`sluice-watch ... | head -1`) is seen as a failed write, not a signal.
  signal(SIGPIPE, SIG_IGN);
  Flags flags;
  CLI::App app{
      "Emit a JSON line on stdout for each new, changed or deleted S3 object.\n"
      "TARGET: s3://bucket/key (one object), s3://bucket/prefix/ or s3://bucket (every object "
      "under it), a local file or directory, mqtt://HOST[:PORT]/TOPIC-FILTER (mqtts:// for TLS; "
      "SLUICE_MQTT_USERNAME, SLUICE_MQTT_PASSWORD); or --sqs-queue URL for S3 Event "
      "Notifications.\nEvent fields: event (created|updated|deleted|exists), uri, bucket, key, "
      "etag, "
      "size, last_modified, version_id, source, detected_at, sqs (the message to acknowledge), "
      "topic (mqtt). "
      "See man sluice-watch.\n"
      "Exit: 0 after --once's event, 1 failure, 2 usage, 124 --timeout, 130 interrupted.",
      "sluice-watch"};
  AddCommonFlags(app, flags.common);
  app.add_option("TARGET", flags.targets, "what to watch")->required(false);
  app.add_option("--interval", flags.interval, "time between polls (default 10s)");
  app.add_flag("--once", flags.once, "exit 0 after the first event");
  app.add_option("--timeout", flags.timeout, "exit 124 after this long without an event");
  app.add_flag("--initial", flags.initial, "first emit an `exists` event for every object there");
  app.add_option("--events", flags.events,
                 "which changes to emit (default created,updated,deleted)");
  // One value per occurrence: otherwise a repeatable option swallows the TARGETs after it.
  app.add_option("--include", flags.include, "emit only keys matching this glob (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--exclude", flags.exclude, "skip keys matching this glob (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--state", flags.state,
                 "remember what was seen in this file, or S3 object (s3://bucket/key): after a "
                 "restart, changes made meanwhile are emitted once and nothing is emitted twice");
  app.add_option("--state-lease", flags.state_lease,
                 "with --state s3://...: how long a watcher that stopped renewing its hold on "
                 "the state (killed, machine lost) keeps others from taking it over (default 60s)");
  app.add_option("--sqs-queue", flags.sqs_queue,
                 "read S3 Event Notifications (or EventBridge S3 events) from this SQS queue URL "
                 "instead of polling; TARGETs, if any, narrow the events");
  app.add_option("--client-id", flags.client_id,
                 "with mqtt://: the MQTT client id of a persistent session, so that messages "
                 "published while the watcher is stopped are delivered when it comes back");
  app.add_flag(
      "--delete-on-emit", flags.delete_on_emit,
      "with --sqs-queue: delete each message once its events are written, for a reader "
      "that cannot acknowledge (default: sluice-trigger deletes it when the work is done)");
  app.add_option("--max-parallel", flags.max_parallel, "polls in flight at once (default 16)");
  return RunToolMain(app, argc, argv, [&] { return Run(flags); });
}
