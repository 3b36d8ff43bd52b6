// sluice-trigger, the real binary: the ECS action against moto (tasks started, overrides, tags,
// repeats dropped, --wait), the errors a user can cause, and the --exec action without any AWS
// settings (S3 notification input, SIGTERM while commands run, malformed lines).
#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "sluice/services/s3_client.h"
#include "sluice/trigger/trigger_journal.h"
#include "tests/peers/aws_realism_proxy.h"
#include "tests/peers/ecs_moto.h"
#include "tests/peers/examples.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;
using testing::AwsEnv;
using testing::Contains;
using testing::CountLines;
using testing::ReadFile;

// One input line in sluice-watch's schema.
std::string WatchEvent(const std::string& bucket, const std::string& key, const std::string& etag) {
  return json{{"event", "created"},
              {"uri", "s3://" + bucket + "/" + key},
              {"bucket", bucket},
              {"key", key},
              {"etag", "\"" + etag + "\""},
              {"size", 3},
              {"last_modified", "2024-05-01T10:00:00Z"},
              {"version_id", nullptr},
              {"source", "poll"},
              {"detected_at", "2024-05-01T10:00:01Z"}}
             .dump() +
         "\n";
}

// One sluice-trigger run (testing::ToolRun). Its stdin is a pipe the test writes to, so a test can
// feed lines and keep the input open the way a pipeline from sluice-watch does. It runs in `dir`,
// so anything a hostile key made a shell do would land there.
class TriggerRun : public testing::ToolRun {
 public:
  TriggerRun(const std::string& dir, const std::map<std::string, std::string>& env,
             const std::vector<std::string>& args)
      : ToolRun("sluice-trigger", dir, env, args, {.stdin_pipe = true, .in_dir = true}) {}

  // Results keyed by input line (one event per line); with parallel workers they come in any
  // order. Look them up with at(): a missing line throws, which fails the test.
  std::map<int, json> ResultsByLine() const {
    std::map<int, json> by_line;
    for (const json& r : Results()) {
      EXPECT_TRUE(by_line.emplace(r["line"].get<int>(), r).second) << "two results: " << r;
    }
    return by_line;
  }
};

// ---------------------------------------------------------------------------------------------
// The ECS action against moto. Each test has a cluster and a task definition family of its own,
// so tests sharing the suite's moto see only their own tasks. Task definitions use bridge
// networking and give every container memory, and runs pass --launch-type FARGATE: moto fails
// RunTask with HTTP 500 otherwise (see ../shared/notes/local-peers.md and the report).
class TriggerEcsTest : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    ASSERT_NE(moto_, nullptr) << "moto_server did not start";
    dir_ = testing::MakeTempDir("sluice-trigger-ecs-");
    int n = ++counter_;
    cluster_ = "trigger-" + std::to_string(n);
    family_ = "fam-" + std::to_string(n);
    ASSERT_TRUE(ecs_.Start(*moto_, cluster_));
    ecs_.RegisterTaskDefinition(family_,
                                json::array({testing::EcsMoto::Container("app", "busybox")}));
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  // The tasks as moto describes them, with their tags. Note: each DescribeTasks call moves a
  // moto task one state on towards STOPPED.
  std::map<std::string, json> DescribeTasks(const std::vector<std::string>& arns) {
    json output =
        ecs_.Call("DescribeTasks", {{"cluster", cluster_}, {"tasks", arns}, {"include", {"TAGS"}}});
    std::map<std::string, json> tasks;
    for (const json& task : output.value("tasks", json::array())) tasks[task["taskArn"]] = task;
    return tasks;
  }

  TriggerRun Run(const std::vector<std::string>& args) {
    return TriggerRun(dir_, AwsEnv(dir_, *moto_), args);
  }

  // A --wait run with these --retries whose AWS calls go through `proxy` (in front of moto).
  TriggerRun WaitingThrough(const testing::AwsRealismProxy& proxy, const std::string& retries) {
    return TriggerRun(dir_,
                      AwsEnv(dir_, proxy.endpoint(), moto_->credentials().access_key_id,
                             moto_->credentials().secret_access_key),
                      {"--cluster", cluster_, "--task-definition", family_, "--launch-type",
                       "FARGATE", "--wait", "--retries", retries, "--retry-delay", "10ms"});
  }

  std::string TaskArnPrefix() const {
    return "arn:aws:ecs:us-east-1:" + moto_->account_id() + ":task/" + cluster_ + "/";
  }

  static inline int counter_ = 0;
  std::string dir_, cluster_, family_;
  testing::EcsMoto ecs_;
};

// Two distinct events and an exact repeat of the first: two tasks, each carrying its event in the
// container's environment, whatever the key holds. moto ignores RunTask's clientToken, so the
// single task for the repeat shows sluice-trigger's own duplicate check, not ECS's.
TEST_F(TriggerEcsTest, StartsOneTaskPerDistinctEventWithTheEventInItsEnvironment) {
  const std::string hostile = "uploads/u1/$(rm -rf ~) a+b.csv";
  const std::string plain = "uploads/u2/data.csv";
  TriggerRun run = Run({"--cluster", cluster_, "--task-definition", family_, "--env",
                        "INPUT_KEY={key}", "--env", "INPUT_BUCKET={bucket}", "--subnet", "subnet-1",
                        "--security-group", "sg-1", "--launch-type", "FARGATE", "--tag",
                        "team=data", "--started-by", "sluice-test"});
  run.Feed(WatchEvent("in-bucket", hostile, "e1") + WatchEvent("in-bucket", plain, "e2") +
           WatchEvent("in-bucket", hostile, "e1"));
  ASSERT_EQ(run.Wait(60000), 0) << run.Stderr();

  auto results = run.ResultsByLine();
  ASSERT_EQ(results.size(), 3u) << run.Stderr();
  std::map<std::string, std::string> key_of_task;
  for (int line : {1, 2}) {
    const json& r = results.at(line);
    EXPECT_EQ(r["status"], "succeeded") << r;
    EXPECT_EQ(r["action"], "ecs");
    EXPECT_EQ(r["attempts"], 1);
    EXPECT_TRUE(r["exit_code"].is_null()) << "no --wait: no exit code yet";
    std::string arn = r.value("task_arn", "");
    EXPECT_EQ(arn.rfind(TaskArnPrefix(), 0), 0u) << arn;
    key_of_task[arn] = r["event"]["key"];
  }
  EXPECT_EQ(results.at(1)["event"]["key"], hostile);
  EXPECT_EQ(results.at(2)["event"]["key"], plain);
  const json& repeat = results.at(3);
  EXPECT_EQ(repeat["status"], "skipped") << repeat;
  EXPECT_EQ(repeat["attempts"], 0);
  EXPECT_FALSE(repeat.contains("task_arn")) << repeat;
  EXPECT_NE(repeat.value("error", "").find("the same event (uri, version)"), std::string::npos) << repeat;

  // Exactly the two tasks the results name exist.
  std::vector<std::string> listed = ecs_.ListTasks();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()),
            (std::set<std::string>{key_of_task.begin()->first, key_of_task.rbegin()->first}));

  // What moto kept of each RunTask. moto does not keep networkConfiguration for a bridge task
  // definition (it stores it only for awsvpc, which it cannot run), so --subnet and
  // --security-group are not visible here; unit tests cover the request's shape.
  auto tasks = DescribeTasks(listed);
  ASSERT_EQ(tasks.size(), 2u);
  for (const auto& [arn, task] : tasks) {
    SCOPED_TRACE(arn);
    json overrides = task["overrides"]["containerOverrides"];
    ASSERT_EQ(overrides.size(), 1u) << task["overrides"];
    EXPECT_EQ(overrides[0]["name"], "app");
    std::map<std::string, std::string> environment;
    for (const json& e : overrides[0]["environment"]) environment[e["name"]] = e["value"];
    EXPECT_EQ(environment, (std::map<std::string, std::string>{
                               {"INPUT_KEY", key_of_task[arn]}, {"INPUT_BUCKET", "in-bucket"}}));
    EXPECT_EQ(task["startedBy"], "sluice-test");
    EXPECT_EQ(task["tags"], json::parse(R"([{"key": "team", "value": "data"}])"));
    EXPECT_EQ(task["launchType"], "FARGATE");
    EXPECT_EQ(task["taskDefinitionArn"], "arn:aws:ecs:us-east-1:" + moto_->account_id() +
                                             ":task-definition/" + family_ + ":1");
  }
  std::set<std::string> keys;
  for (const auto& [arn, key] : key_of_task) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{hostile, plain}));
}

// --wait polls DescribeTasks until the task stops; a moto task takes four calls (several seconds
// at the growing poll interval) and its containers always exit 0.
TEST_F(TriggerEcsTest, WaitReportsTheStoppedTasksExitCode) {
  TriggerRun run = Run({"--cluster", cluster_, "--task-definition", family_, "--launch-type",
                        "FARGATE", "--env", "INPUT_KEY={key}", "--wait"});
  run.Feed(WatchEvent("in-bucket", "one.csv", "e1"));
  ASSERT_EQ(run.Wait(120000), 0) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stderr();
  EXPECT_EQ(results[0]["status"], "succeeded") << results[0];
  EXPECT_EQ(results[0]["exit_code"], 0) << results[0];
  std::string arn = results[0].value("task_arn", "");
  EXPECT_EQ(arn.rfind(TaskArnPrefix(), 0), 0u) << arn;
  // The result came after the task stopped, not before.
  auto tasks = DescribeTasks({arn});
  ASSERT_EQ(tasks.count(arn), 1u);
  EXPECT_EQ(tasks[arn]["lastStatus"], "STOPPED");
}

// Through AwsRealismProxy (tests/peers/aws_realism_proxy.h): what real ECS does that moto does
// not. DescribeTasks answers MISSING right after RunTask: before the fix the attempt failed and
// the retry started a second task.
TEST_F(TriggerEcsTest, ATaskEcsDoesNotShowYetIsWaitedForNotStartedTwice) {
  testing::AwsRealismProxy proxy(moto_->endpoint());
  proxy.MissingDescribes(3);
  TriggerRun run = WaitingThrough(proxy, "2");
  run.Feed(WatchEvent("in-bucket", "one.csv", "e1"));
  ASSERT_EQ(run.Wait(120000), 0) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stderr();
  EXPECT_EQ(results[0]["status"], "succeeded") << results[0];
  EXPECT_EQ(results[0]["attempts"], 1) << results[0];
  EXPECT_EQ(proxy.TasksStarted().size(), 1u);
  EXPECT_EQ(ecs_.ListTasks().size(), 1u);
  EXPECT_TRUE(Contains(run.Stderr(), "not starting another")) << run.Stderr();
  EXPECT_EQ(testing::BotocoreProblems(proxy.JsonCalls()), std::vector<std::string>{});
}

// A Fargate Spot reclaim whose app exited 0: a failure, retried (a new task per attempt), with
// the stop code in the result. Before the fix: "succeeded" after one task.
TEST_F(TriggerEcsTest, ASpotInterruptionIsRetriedAndReportedWithItsStopCode) {
  testing::AwsRealismProxy proxy(moto_->endpoint());
  proxy.StopTasksWith("SpotInterruption", "Your Spot Task was interrupted.");
  TriggerRun run = WaitingThrough(proxy, "1");
  run.Feed(WatchEvent("in-bucket", "one.csv", "e1"));
  ASSERT_EQ(run.Wait(120000), 1) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stderr();
  EXPECT_EQ(results[0]["status"], "failed") << results[0];
  EXPECT_EQ(results[0]["attempts"], 2) << results[0];
  EXPECT_EQ(results[0]["stop_code"], "SpotInterruption") << results[0];
  EXPECT_EQ(results[0]["exit_code"], 0) << results[0];
  EXPECT_TRUE(Contains(results[0].value("error", ""), "SpotInterruption")) << results[0];
  EXPECT_EQ(proxy.TasksStarted().size(), 2u);
  EXPECT_EQ(ecs_.ListTasks().size(), 2u);
}

// A typo in the cluster, task definition or container fails once at start (exit 1, one line),
// before any event is read, so no task is started.
TEST_F(TriggerEcsTest, MissingClusterTaskDefinitionOrContainerFailAtStart) {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> in_stderr;
  };
  for (const Case& c : std::vector<Case>{
           {{"--cluster", "no-such-cluster", "--task-definition", family_},
            {"no ECS cluster named no-such-cluster"}},
           {{"--cluster", cluster_, "--task-definition", "no-such-family"},
            {"no task definition no-such-family", "check --task-definition"}},
           {{"--cluster", cluster_, "--task-definition", family_ + ":7"},  // no such revision
            {"no task definition " + family_ + ":7", "check --task-definition"}},
           {{"--cluster", cluster_, "--task-definition", family_, "--container", "web", "--env",
             "INPUT_KEY={key}"},
            {"has no container named web", "(it has app)"}},
       }) {
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--launch-type", "FARGATE"});
    TriggerRun run = Run(args);
    run.Feed(WatchEvent("in-bucket", "one.csv", "e1"));
    SCOPED_TRACE(::testing::PrintToString(args));
    EXPECT_EQ(run.Wait(60000), 1);
    std::string err = run.Stderr();
    EXPECT_EQ(CountLines(err), 1u) << err;
    EXPECT_EQ(err.rfind("sluice-trigger: ", 0), 0u) << err;
    for (const std::string& text : c.in_stderr) EXPECT_NE(err.find(text), std::string::npos) << err;
    EXPECT_TRUE(run.Results().empty());
  }
  EXPECT_TRUE(ecs_.ListTasks().empty());
}

// Mistakes in the flags are usage errors (exit 2, one line), found before any AWS call.
TEST_F(TriggerEcsTest, BadFlagsAreUsageErrors) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},                                                       // no action
           {"--launch-type", "FARGATE"},                             // still no action
           {"--exec", "--cluster", cluster_, "--task-definition", family_, "--", "true"},  // both
           {"--cluster", cluster_},                                  // half an ECS action
           {"--exec", "--timeout", "soon", "--", "true"},            // bad durations
           {"--cluster", cluster_, "--task-definition", family_, "--grace-period", "5x"},
           {"--exec", "--debounce", "-1s", "--", "true"},
           {"--exec", "--env", "X={kye}", "--", "true"},             // unknown placeholder
           {"--exec"},                                               // no command
       }) {
    TriggerRun run = Run(args);
    run.Feed(WatchEvent("in-bucket", "one.csv", "e1"));
    SCOPED_TRACE(::testing::PrintToString(args));
    EXPECT_EQ(run.Wait(30000), 2);
    std::string err = run.Stderr();
    EXPECT_EQ(CountLines(err), 1u) << err;
    EXPECT_EQ(err.rfind("sluice-trigger: ", 0), 0u) << err;
    EXPECT_TRUE(run.Results().empty());
  }
  EXPECT_TRUE(ecs_.ListTasks().empty());
}

// ---------------------------------------------------------------------------------------------
// The --exec action needs no AWS at all: these runs get no region, credentials or endpoint.
class TriggerExecTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("sluice-trigger-exec-"); }
  void TearDown() override { testing::RemoveTree(dir_); }

  TriggerRun Run(const std::vector<std::string>& args) {
    return TriggerRun(dir_, AwsEnv(dir_, "", "", ""), args);
  }

  std::string dir_;
};

// A raw S3 Event Notification, as S3 sends it to SQS/SNS/Lambda: keys are form-encoded. The
// command must get the decoded key, in its arguments, in --env values and in SLUICE_KEY; a second
// record with a hostile key must reach it as plain text (no shell runs in between).
TEST_F(TriggerExecTest, S3NotificationKeysReachTheCommandDecoded) {
  auto record = [](const std::string& encoded_key, const std::string& etag) {
    return json{{"eventVersion", "2.1"},
                {"eventSource", "aws:s3"},
                {"awsRegion", "us-east-1"},
                {"eventTime", "2024-05-01T10:00:00.000Z"},
                {"eventName", "ObjectCreated:Put"},
                {"s3",
                 {{"s3SchemaVersion", "1.0"},
                  {"bucket", {{"name", "in-bucket"}, {"arn", "arn:aws:s3:::in-bucket"}}},
                  {"object", {{"key", encoded_key}, {"size", 5}, {"eTag", etag}}}}}};
  };
  json notification = {{"Records", {record("a+b%2Bc.csv", "e1"), record("%24%28touch+pwned%29.csv", "e2")}}};
  std::string got = dir_ + "/got.txt";
  TriggerRun run = Run({"--exec", "--env", "INPUT_KEY={key}", "--", "sh", "-c",
                        "printf '%s|%s|%s|%s\\n' \"$1\" \"$INPUT_KEY\" \"$SLUICE_KEY\" "
                        "\"$SLUICE_URI\" >>\"$0\"",
                        got, "{key}"});
  run.Feed(notification.dump() + "\n");
  ASSERT_EQ(run.Wait(30000), 0) << run.Stderr();

  // One line, two records, two results (run in order: --max-parallel is 1).
  EXPECT_EQ(ReadFile(got),
            "a b+c.csv|a b+c.csv|a b+c.csv|s3://in-bucket/a b+c.csv\n"
            "$(touch pwned).csv|$(touch pwned).csv|$(touch pwned).csv|s3://in-bucket/$(touch "
            "pwned).csv\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/pwned"));
  auto results = run.Results();
  ASSERT_EQ(results.size(), 2u) << run.Stderr();
  for (const json& r : results) {
    EXPECT_EQ(r["status"], "succeeded") << r;
    EXPECT_EQ(r["exit_code"], 0);
    EXPECT_EQ(r["line"], 1);
    EXPECT_EQ(r["action"], "exec");
    EXPECT_EQ(r["event"]["source"], "notification");
    EXPECT_EQ(r["event"]["bucket"], "in-bucket");
  }
  EXPECT_EQ(results[0]["event"]["key"], "a b+c.csv");
}

// The first message S3 sends to a newly configured destination is an s3:TestEvent. It holds no
// change: no result, no complaint, and not a bad line even with --strict.
TEST_F(TriggerExecTest, S3TestEventIsNoEventAndNoBadLine) {
  TriggerRun run = Run({"--strict", "--exec", "--", "true"});
  run.Feed(R"({"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-05-01T10:00:00.000Z",)"
           R"("Bucket":"in-bucket","RequestId":"R","HostId":"H"})"
           "\n");
  EXPECT_EQ(run.Wait(30000), 0) << run.Stderr();
  EXPECT_TRUE(run.Results().empty());
  EXPECT_EQ(run.Stderr().find("line 1"), std::string::npos) << run.Stderr();
}

// True once `pid` has ended: no such process, or a zombie (it has exited; only its entry is left
// until whoever inherited it reaps it, and this machine's PID 1 may take its time).
bool Ended(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

// SIGTERM while two commands run and two events wait, the input still open: the running ones get
// the grace period, are then stopped with everything they started, the waiting ones are
// cancelled, and every event still gets its result line.
TEST_F(TriggerExecTest, SigtermStopsRunningCommandsAndCancelsWaitingEvents) {
  // Each command starts a sleep of its own (a grandchild of sluice-trigger) and then writes
  // "SHELL_PID SLEEP_PID" into DIR/KEY.pids (renamed into place, so it is read whole).
  TriggerRun run = Run({"--max-parallel", "2", "--grace-period", "1s", "--exec", "--", "sh",
                        "-c",
                        "sleep 30 & echo \"$$ $!\" >\"$0.tmp\" && mv \"$0.tmp\" \"$0.pids\"; wait",
                        dir_ + "/{key}"});
  // All four lines in one write: the reader takes them in one read, well before a command
  // started by one of them can write its marker.
  ASSERT_TRUE(run.Write(R"({"uri":"s3://b/m1"})" "\n" R"({"uri":"s3://b/m2"})" "\n"
            R"({"uri":"s3://b/m3"})" "\n" R"({"uri":"s3://b/m4"})" "\n"));

  auto markers = [&] {
    std::set<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      if (entry.path().extension() == ".pids") found.insert(entry.path().stem().string());
    }
    return found;
  };
  for (int i = 0; i < 1000 && markers().size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(markers(), (std::set<std::string>{"m1", "m2"})) << run.Stderr();
  std::vector<pid_t> pids;
  for (const char* key : {"m1", "m2"}) {
    std::stringstream in(ReadFile(dir_ + "/" + key + ".pids"));
    pid_t shell = 0, sleep = 0;
    in >> shell >> sleep;
    ASSERT_GT(shell, 0);
    ASSERT_GT(sleep, 0);
    pids.insert(pids.end(), {shell, sleep});
  }
  for (pid_t pid : pids) ASSERT_FALSE(Ended(pid)) << pid << " should still run";  // checks Ended()

  run.Signal(SIGTERM);  // the input stays open: only the signal can end this run
  ASSERT_EQ(run.Wait(30000), 130) << run.Stderr();

  auto results = run.ResultsByLine();
  ASSERT_EQ(results.size(), 4u) << run.Stderr();
  for (int line : {1, 2}) {
    const json& r = results.at(line);
    EXPECT_EQ(r["status"], "failed") << r;
    EXPECT_EQ(r["exit_code"], 130) << r;
    EXPECT_EQ(r["attempts"], 1);
    EXPECT_NE(r.value("error", "").find("stopped"), std::string::npos) << r;
  }
  for (int line : {3, 4}) {
    const json& r = results.at(line);
    EXPECT_EQ(r["status"], "cancelled") << r;
    EXPECT_EQ(r["attempts"], 0);
    EXPECT_FALSE(r.contains("started_at")) << r;
  }
  EXPECT_NE(run.Stderr().find("grace period over"), std::string::npos) << run.Stderr();
  EXPECT_EQ(markers(), (std::set<std::string>{"m1", "m2"})) << "a cancelled event ran";

  // The shells and their sleeps are gone, not left behind to run out their 30 s.
  auto all_ended = [&] { return std::all_of(pids.begin(), pids.end(), Ended); };
  for (int i = 0; i < 250 && !all_ended(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (pid_t pid : pids) EXPECT_TRUE(Ended(pid)) << "process " << pid << " still runs";
}

// --journal: sluice-trigger killed with SIGKILL at random moments while events arrive, then
// started again with the same command line and the input replayed (as sluice-watch replays after
// a restart): every event runs to its end, and an event runs again only when a kill caught it
// running (at most --max-parallel per kill). The counts are printed for the issue's note.
TEST_F(TriggerExecTest, KillNineAtAnyMomentLosesNoEventWithAJournal) {
  const int kKills = 30;
  const int kPerRound = 4;
  const unsigned seed = 20261203;
  std::mt19937 random(seed);
  const std::string journal = dir_ + "/journal";
  const std::vector<std::string> args = {
      "--journal", journal, "--max-parallel", "2", "--exec", "--", "sh", "-c",
      "echo \"start $0\" >> runs; sleep 0.05; echo \"end $0\" >> runs", "{key}"};
  std::string everything;  // every line so far: what a replaying source sends again
  for (int round = 0; round < kKills; ++round) {
    for (int i = 0; i < kPerRound; ++i) {
      everything += json{{"uri", "s3://b/k" + std::to_string(round * kPerRound + i)},
                         {"key", "k" + std::to_string(round * kPerRound + i)}, {"etag", "e"}}
                        .dump() + "\n";
    }
    TriggerRun run = Run(args);
    ASSERT_TRUE(run.Write(everything));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(random)));
    run.Signal(SIGKILL);
    run.Wait(30000);
  }
  TriggerRun last = Run(args);
  last.Feed(everything);
  ASSERT_EQ(last.Wait(60000), 0) << last.Stderr();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // commands orphaned by a kill end

  std::map<std::string, int> starts, ends;
  std::stringstream runs(ReadFile(dir_ + "/runs"));
  std::string what, key;
  while (runs >> what >> key) ++(what == "start" ? starts : ends)[key];
  int repeated = 0;
  for (int k = 0; k < kKills * kPerRound; ++k) {
    std::string name = "k" + std::to_string(k);
    EXPECT_GE(ends[name], 1) << name << " never ran to its end";
    repeated += std::max(0, starts[name] - 1);
  }
  EXPECT_LE(repeated, kKills * 2) << "more runs again than a kill can catch running";
  std::cout << "kill -9 x" << kKills << " (seed " << seed << "): " << kKills * kPerRound
            << " events, all ran to their end; " << repeated
            << " run again because a kill caught them running\n";
}

// --journal s3://…: the journal of a sluice-trigger whose disk goes with it (an ECS task), in moto
// behind AwsRealismProxy (conditional writes atomic, as in S3). A replacement started after a kill
// waits out the dead one's lease and runs what it left unfinished; a second sluice-trigger on
// the journal while one runs is refused, naming it.
class TriggerJournalInS3Test : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    ASSERT_NE(moto_, nullptr) << "moto_server did not start";
    dir_ = testing::MakeTempDir("sluice-trigger-journal-s3-");
    auto s3 = S3Client::Make(moto_->Context());
    ASSERT_TRUE(s3.ok());
    s3_ = std::move(s3).value();
    bucket_ = "journal-" + std::to_string(++counter_);
    ASSERT_TRUE(s3_->CreateBucket(bucket_).ok());
    proxy_ = std::make_unique<testing::AwsRealismProxy>(moto_->endpoint());
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  TriggerRun Run(const std::vector<std::string>& args) {
    return TriggerRun(dir_,
                      AwsEnv(dir_, proxy_->endpoint(), moto_->credentials().access_key_id,
                             moto_->credentials().secret_access_key),
                      args);
  }
  bool WaitForFileLine(const std::string& path, const std::string& line) {
    return testing::WaitFor([&] { return testing::Contains(ReadFile(path), line + "\n"); },
                            30000);
  }

  static inline int counter_ = 0;
  std::string dir_, bucket_;
  std::unique_ptr<S3Client> s3_;
  std::unique_ptr<testing::AwsRealismProxy> proxy_;
};

TEST_F(TriggerJournalInS3Test, AReplacementRunsWhatAKilledOneLeftAndASecondOneIsRefused) {
  const std::vector<std::string> args = {
      "--journal", "s3://" + bucket_ + "/trigger.journal", "--journal-lease", "3s", "--exec", "--",
      "sh", "-c",
      "echo \"start $0\" >> runs; if [ -f slow ]; then echo $$ > slow.pid; exec sleep 60; fi; "
      "echo \"end $0\" >> runs",
      "{key}"};
  testing::WriteFile(dir_ + "/slow", "");
  {
    TriggerRun run = Run(args);
    ASSERT_TRUE(run.Write(json{{"uri", "s3://b/k1"}, {"key", "k1"}, {"etag", "e"}}.dump() + "\n"));
    ASSERT_TRUE(WaitForFileLine(dir_ + "/runs", "start k1")) << run.Stderr();
    run.Signal(SIGKILL);  // the task dies with k1 accepted and running
    run.Wait(30000);
    // Its command dies with it, as a task's processes do.
    ASSERT_TRUE(testing::WaitFor([&] { return !ReadFile(dir_ + "/slow.pid").empty(); }));
    kill(std::stoi(ReadFile(dir_ + "/slow.pid")), SIGKILL);
  }
  std::remove((dir_ + "/slow").c_str());
  TriggerRun replacement = Run(args);
  ASSERT_TRUE(WaitForFileLine(dir_ + "/runs", "end k1")) << replacement.Stderr();
  std::string err = replacement.Stderr();
  EXPECT_TRUE(testing::Contains(err, "is held by pid ")) << err;
  EXPECT_TRUE(testing::Contains(err, "lapsed without a renewal")) << err;
  EXPECT_TRUE(testing::Contains(err, "replaying 1 event(s) an earlier run did not finish")) << err;

  // While the replacement runs (its input open), another one is refused.
  TriggerRun second = Run(args);
  second.CloseInput();
  EXPECT_EQ(second.Wait(30000), 1) << second.Stderr();
  EXPECT_TRUE(testing::Contains(second.Stderr(), "is in use by another sluice-trigger (pid " +
                                                     std::to_string(replacement.pid())))
      << second.Stderr();

  // A repeat of k1 (sluice-watch replaying) is not run again; k2 is.
  replacement.Feed(json{{"uri", "s3://b/k1"}, {"key", "k1"}, {"etag", "e"}}.dump() + "\n" +
                   json{{"uri", "s3://b/k2"}, {"key", "k2"}, {"etag", "e"}}.dump() + "\n");
  EXPECT_EQ(replacement.Wait(30000), 0) << replacement.Stderr();
  std::string runs = ReadFile(dir_ + "/runs");
  EXPECT_EQ(runs, "start k1\nstart k1\nend k1\nstart k2\nend k2\n");
  auto journal = s3_->GetObject(bucket_, "trigger.journal");
  ASSERT_TRUE(journal.ok());
  ASSERT_TRUE(JournalLease(*journal));
  EXPECT_TRUE(JournalLease(*journal)->released);
  EXPECT_TRUE(ParseJournal(*journal).unfinished.empty());
  EXPECT_GT(proxy_->ConditionalWrites(), 5);
}

TEST_F(TriggerJournalInS3Test, AJournalFlagThatNamesNoObjectIsAUsageError) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--journal", "s3://" + bucket_ + "/", "--exec", "--", "true"},
           {"--journal", "s3://" + bucket_, "--exec", "--", "true"},
           {"--journal", dir_ + "/j", "--journal-lease", "10s", "--exec", "--", "true"}}) {
    TriggerRun run = Run(args);
    run.CloseInput();
    EXPECT_EQ(run.Wait(30000), 2) << run.Stderr();
  }
}

// Bad lines are reported with their line numbers and skipped; the good ones still run. Line 3 is
// blank: it is counted but is no event and no error.
TEST_F(TriggerExecTest, MalformedLinesAreSkippedAndNamed) {
  TriggerRun run = Run({"--exec", "--", "touch", dir_ + "/ran-{basename}"});
  run.Feed("not json\n"
           R"({"event":"created","bucket":"b","key":"no-uri.csv"})" "\n"
           "\n"
           R"({"uri":"s3://b/in/ok1.csv"})" "\n"
           "[1, 2]\n"
           R"({"uri":"s3://b/in/moved.csv","event":"moved"})" "\n"
           R"({"uri":"s3://b/in/ok2.csv"})" "\n");
  ASSERT_EQ(run.Wait(30000), 0) << run.Stderr();

  auto results = run.ResultsByLine();
  ASSERT_EQ(results.size(), 2u) << run.Stderr();
  EXPECT_EQ(results.at(4)["status"], "succeeded");
  EXPECT_EQ(results.at(4)["event"]["key"], "in/ok1.csv");
  EXPECT_EQ(results.at(7)["status"], "succeeded");
  EXPECT_EQ(results.at(7)["event"]["key"], "in/ok2.csv");
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/ran-ok1.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/ran-ok2.csv"));

  std::string err = run.Stderr();
  for (const char* expected :
       {"line 1: not JSON; skipped", "line 2: no \"uri\" field", "line 5: not a JSON object",
        "line 6: \"event\" must be", "4 bad line(s)"}) {
    EXPECT_NE(err.find(expected), std::string::npos) << expected << " in:\n" << err;
  }
  EXPECT_EQ(err.find("line 3"), std::string::npos) << err;
}

// With --strict the first bad line ends the run with 65: what came before it still runs to its
// result, nothing after it runs.
TEST_F(TriggerExecTest, StrictStopsAtTheFirstBadLine) {
  TriggerRun run = Run({"--strict", "--exec", "--", "touch", dir_ + "/ran-{basename}"});
  run.Feed(R"({"uri":"s3://b/first.csv"})" "\n"
           R"({"uri":"s3://b/cut.csv")" "\n"
           R"({"uri":"s3://b/third.csv"})" "\n");
  ASSERT_EQ(run.Wait(30000), 65) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stderr();
  EXPECT_EQ(results[0]["line"], 1);
  EXPECT_EQ(results[0]["status"], "succeeded");
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/ran-first.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/ran-third.csv"));
  EXPECT_NE(run.Stderr().find("line 2: not JSON; stopping (--strict)"), std::string::npos)
      << run.Stderr();
}

}  // namespace
}  // namespace sluice
