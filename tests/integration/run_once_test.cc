// sluice-run-once, the real binary:
//   - against moto: a task started with its overrides, tags and startedBy, and the errors a user
//     can cause (missing cluster, task definition or container; bad flags);
//   - against FakeEcs (tests/peers/fake_ecs.h), for what moto cannot do: logs arriving over
//     several polls, non-zero exit codes, tasks that never start, --timeout, SIGTERM, throttling,
//     and the awsvpc/capacity-provider request shape;
//   - --local, which needs no AWS at all.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/peers/aws_realism_proxy.h"
#include "tests/peers/ecs_moto.h"
#include "tests/peers/fake_ecs.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;
using testing::AwsEnv;
using testing::Contains;
using testing::Lines;
using testing::ToolRun;

// The result line's fields (README / --help): present in every ECS result, null when unknown.
void ExpectResultShape(const json& r) {
  for (const char* field : {"task_arn", "cluster", "client_token", "task_definition_arn", "exit_code", "stop_code",
                            "stopped_reason", "started_at", "stopped_at", "log_group",
                            "log_stream", "seconds"}) {
    EXPECT_TRUE(r.contains(field)) << field << " missing from " << r;
  }
  EXPECT_TRUE(r["seconds"].is_number()) << r;
}

// ---------------------------------------------------------------------------------------------
// Against moto. Each test has its own cluster and family so the suite's shared moto keeps them
// apart. Bridge networking, memory on the container and --launch-type FARGATE: moto's RunTask
// fails with HTTP 500 otherwise (../shared/notes/local-peers.md). moto tasks advance one state
// per DescribeTasks, always exit 0 and write no logs.
class RunOnceMotoTest : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    ASSERT_NE(moto_, nullptr) << "moto_server did not start";
    dir_ = testing::MakeTempDir("sluice-run-once-moto-");
    int n = ++counter_;
    cluster_ = "run-once-" + std::to_string(n);
    family_ = "fam-" + std::to_string(n);
    ASSERT_TRUE(ecs_.Start(*moto_, cluster_));
    json app = testing::EcsMoto::Container("app", "busybox");
    app["logConfiguration"] = {{"logDriver", "awslogs"},
                               {"options",
                                {{"awslogs-group", "/ecs/" + family_},
                                 {"awslogs-region", "us-east-1"},
                                 {"awslogs-stream-prefix", "ecs"}}}};
    ecs_.RegisterTaskDefinition(family_, json::array({app}));
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  ToolRun Run(const std::vector<std::string>& args) {
    return ToolRun("sluice-run-once", dir_, AwsEnv(dir_, *moto_), args);
  }

  static inline int counter_ = 0;
  std::string dir_, cluster_, family_;
  testing::EcsMoto ecs_;
};

// The happy path: the task runs to STOPPED (four DescribeTasks, a few seconds), the result line
// names it, and what moto stored shows every override the flags asked for.
TEST_F(RunOnceMotoTest, RunsTheTaskWithItsOverridesAndReportsExitZero) {
  ToolRun run =
      Run({"--cluster", cluster_, "--task-definition", family_, "--launch-type", "FARGATE", "--env",
           "JOB=nightly", "--command", "echo", "hi", "--tag", "team=data", "--started-by", "ci"});
  ASSERT_EQ(run.Wait(120000), 0) << run.Stderr();

  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout() << run.Stderr();
  const json& r = results[0];
  ExpectResultShape(r);
  std::string arn = r.value("task_arn", "");
  EXPECT_EQ(arn.rfind("arn:aws:ecs:us-east-1:" + moto_->account_id() + ":task/" + cluster_ + "/", 0),
            0u)
      << r;
  EXPECT_EQ(r["exit_code"], 0) << r;
  EXPECT_EQ(r["cluster"], cluster_);
  EXPECT_EQ(r["task_definition_arn"],
            "arn:aws:ecs:us-east-1:" + moto_->account_id() + ":task-definition/" + family_ + ":1");
  // The stream is where awslogs would write: prefix/container/task id (moto writes none, and a
  // missing stream is not an error).
  EXPECT_EQ(r["log_group"], "/ecs/" + family_);
  EXPECT_EQ(r["log_stream"], "ecs/app/" + arn.substr(arn.rfind('/') + 1));
  EXPECT_TRUE(Contains(run.Stderr(), "started " + arn)) << run.Stderr();

  ASSERT_EQ(ecs_.ListTasks(), std::vector<std::string>{arn});
  json described =
      ecs_.Call("DescribeTasks", {{"cluster", cluster_}, {"tasks", {arn}}, {"include", {"TAGS"}}});
  ASSERT_EQ(described["tasks"].size(), 1u) << described;
  const json& task = described["tasks"][0];
  EXPECT_EQ(task["lastStatus"], "STOPPED") << "the result came before the task stopped";
  json overrides = task["overrides"]["containerOverrides"];
  ASSERT_EQ(overrides.size(), 1u) << task["overrides"];
  EXPECT_EQ(overrides[0]["name"], "app");
  EXPECT_EQ(overrides[0]["command"], json({"echo", "hi"}));
  EXPECT_EQ(overrides[0]["environment"], json::parse(R"([{"name":"JOB","value":"nightly"}])"));
  EXPECT_EQ(task["startedBy"], "ci");
  EXPECT_EQ(task["tags"], json::parse(R"([{"key":"team","value":"data"}])"));
  EXPECT_EQ(task["launchType"], "FARGATE");
}

// A typo in the cluster, task definition or container is caught before RunTask: exit 1, one
// line naming the problem, no result line, no task.
TEST_F(RunOnceMotoTest, MissingClusterTaskDefinitionOrContainerFailBeforeAnyTask) {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> in_stderr;
  };
  for (const Case& c : std::vector<Case>{
           {{"--cluster", "no-such-cluster", "--task-definition", family_},
            {"no ECS cluster named no-such-cluster"}},
           {{"--cluster", cluster_, "--task-definition", "no-such-family"},
            {"no task definition no-such-family", "check --task-definition"}},
           {{"--cluster", cluster_, "--task-definition", family_, "--container", "web", "--env",
             "A=1"},
            {"has no container named web", "(it has app)"}},
       }) {
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--launch-type", "FARGATE"});
    SCOPED_TRACE(::testing::PrintToString(args));
    ToolRun run = Run(args);
    EXPECT_EQ(run.Wait(60000), 1);
    std::vector<std::string> err = Lines(run.Stderr());
    ASSERT_EQ(err.size(), 1u) << run.Stderr();
    EXPECT_EQ(err[0].rfind("sluice-run-once: ", 0), 0u) << err[0];
    for (const std::string& text : c.in_stderr) EXPECT_TRUE(Contains(err[0], text)) << err[0];
    EXPECT_EQ(run.Stdout(), "");
  }
  EXPECT_TRUE(ecs_.ListTasks().empty());
}

// Mistakes in the flags are usage errors (exit 2, one line), found before any AWS call.
TEST_F(RunOnceMotoTest, BadFlagsAreUsageErrors) {
  const std::vector<std::string> base = {"--cluster", cluster_, "--task-definition", family_};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--task-definition", family_},                          // no --cluster
           {"--cluster", cluster_},                                 // no --task-definition
           with({"--timeout", "soon"}),                             // bad duration
           with({"--launch-type", "FARGATE", "--capacity-provider", "FARGATE_SPOT"}),
           with({"--launch-type", "SPOT"}),                         // not a launch type
           with({"--env", "NO_EQUALS"}),                            // not NAME=VALUE
           with({"--command", "echo", "--", "echo"}),               // the command twice
           with({"--started-by", std::string(37, 's')}),            // too long for ECS
           with({"--client-token", "has space"}),                   // not printable ASCII
           with({"--no-such-flag"}),                                // CLI11's own error
           {"--local"},                                             // --local without a command
       }) {
    SCOPED_TRACE(::testing::PrintToString(args));
    ToolRun run = Run(args);
    EXPECT_EQ(run.Wait(30000), 2);
    std::vector<std::string> err = Lines(run.Stderr());
    ASSERT_EQ(err.size(), 1u) << run.Stderr();
    EXPECT_EQ(err[0].rfind("sluice-run-once: ", 0), 0u) << err[0];
    EXPECT_TRUE(Contains(err[0], "--help")) << err[0];
    EXPECT_EQ(run.Stdout(), "");
  }
  EXPECT_TRUE(ecs_.ListTasks().empty());
}

// ---------------------------------------------------------------------------------------------
// Against moto behind AwsRealismProxy (tests/peers/aws_realism_proxy.h), which adds what real
// ECS does and moto does not: MISSING right after RunTask, stop codes on tasks that exited 0,
// clientToken idempotency, and a RunTask answer lost on the way back.
class RunOnceRealAwsTest : public RunOnceMotoTest {
 protected:
  void SetUp() override {
    RunOnceMotoTest::SetUp();
    proxy_ = std::make_unique<testing::AwsRealismProxy>(moto_->endpoint());
  }
  // Every request body sluice-run-once sent is one AWS would accept (botocore's models).
  void TearDown() override {
    for (const std::string& problem : testing::BotocoreProblems(proxy_->JsonCalls())) {
      ADD_FAILURE() << problem;
    }
    RunOnceMotoTest::TearDown();
  }
  ToolRun Run(const std::vector<std::string>& args) {
    auto env = AwsEnv(dir_, proxy_->endpoint(), moto_->credentials().access_key_id,
                      moto_->credentials().secret_access_key);
    std::vector<std::string> all = {"--cluster", cluster_, "--task-definition", family_,
                                    "--launch-type", "FARGATE"};
    all.insert(all.end(), args.begin(), args.end());
    return ToolRun("sluice-run-once", dir_, env, all);
  }
  std::unique_ptr<testing::AwsRealismProxy> proxy_;
};

// Before the fix: exit 1 on the first MISSING, while the task ran.
TEST_F(RunOnceRealAwsTest, ATaskDescribeTasksDoesNotShowYetIsWaitedFor) {
  proxy_->MissingDescribes(3);
  ToolRun run = Run({});
  ASSERT_EQ(run.Wait(120000), 0) << run.Stderr();
  EXPECT_TRUE(Contains(run.Stderr(), "ECS does not show the task yet (MISSING)")) << run.Stderr();
  EXPECT_EQ(proxy_->TasksStarted().size(), 1u);
  EXPECT_EQ(ecs_.ListTasks().size(), 1u);
}

// A Fargate Spot reclaim of an app that exits 0 on SIGTERM. Before the fix: exit 0.
TEST_F(RunOnceRealAwsTest, ASpotReclaimedTaskThatExitedZeroExitsOne) {
  proxy_->StopTasksWith("SpotInterruption", "Your Spot Task was interrupted.");
  ToolRun run = Run({});
  ASSERT_EQ(run.Wait(120000), 1) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  EXPECT_EQ(results[0]["stop_code"], "SpotInterruption");
  EXPECT_EQ(results[0]["exit_code"], 0);
  EXPECT_TRUE(Contains(run.Stderr(), "SpotInterruption: Your Spot Task was interrupted."))
      << run.Stderr();
}

// The answer to RunTask is lost (a reset after ECS started the task); the HTTP layer retries.
// Before the fix no clientToken was sent and the retry started a second task.
TEST_F(RunOnceRealAwsTest, ALostRunTaskAnswerStartsNoSecondTask) {
  proxy_->LoseRunTaskAnswers(1);
  ToolRun run = Run({});
  ASSERT_EQ(run.Wait(120000), 0) << run.Stderr();
  EXPECT_EQ(proxy_->RunTaskCalls(), 2);
  auto tokens = proxy_->ClientTokens();
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].rfind("sluice-", 0), 0u) << tokens[0];
  EXPECT_EQ(tokens[0], tokens[1]);
  EXPECT_EQ(proxy_->TasksStarted().size(), 1u);
  EXPECT_EQ(ecs_.ListTasks().size(), 1u);  // counted in moto
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["client_token"], tokens[0]);
}

// Two runs, each a new invocation: two tokens, two tasks. The same --client-token twice: one.
TEST_F(RunOnceRealAwsTest, EachRunGetsItsOwnTokenUnlessGivenOne) {
  ASSERT_EQ(Run({}).ExitCode(), 0);
  ASSERT_EQ(Run({}).ExitCode(), 0);
  ASSERT_EQ(Run({"--client-token", "nightly-2026-12-02"}).ExitCode(), 0);
  ASSERT_EQ(Run({"--client-token", "nightly-2026-12-02"}).ExitCode(), 0);
  auto tokens = proxy_->ClientTokens();
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_NE(tokens[0], tokens[1]);
  EXPECT_EQ(ecs_.ListTasks().size(), 3u);
}

// ---------------------------------------------------------------------------------------------
// Against FakeEcs: one fake per test, cluster "jobs", task definition "job" with one essential
// container "app" logging to /ecs/job with prefix "ecs" (so its stream is ecs/app/<task id>).
// Every test ends by checking the fake refused no request as malformed.
class RunOnceFakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-run-once-fake-");
    fake_.AddCluster("jobs");
    definition_arn_ = fake_.AddTaskDefinition(
        {{"family", "job"},
         {"networkMode", "awsvpc"},
         {"requiresCompatibilities", {"FARGATE"}},
         {"containerDefinitions",
          {{{"name", "app"},
            {"image", "busybox"},
            {"essential", true},
            {"logConfiguration",
             {{"logDriver", "awslogs"},
              {"options",
               {{"awslogs-group", "/ecs/job"},
                {"awslogs-region", "us-east-1"},
                {"awslogs-stream-prefix", "ecs"}}}}}}}}});
  }
  void TearDown() override {
    EXPECT_EQ(fake_.Refusals(), std::vector<std::string>{}) << "malformed requests";
    testing::RemoveTree(dir_);
  }

  ToolRun Run(std::vector<std::string> extra) {
    std::vector<std::string> args = {"--cluster", "jobs", "--task-definition", "job",
                                     "--launch-type", "FARGATE", "--subnet", "subnet-1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return ToolRun("sluice-run-once", dir_,
                   AwsEnv(dir_, fake_.endpoint(), "AKIDFAKE", "fake-secret"), args);
  }

  // The lines of `stderr` that are the task's own output (the fake's log lines all start
  // with "log:"), in the order they were printed.
  static std::vector<std::string> TaskOutput(const std::string& stderr_text) {
    std::vector<std::string> out;
    for (const std::string& line : Lines(stderr_text)) {
      if (line.rfind("log:", 0) == 0) out.push_back(line);
    }
    return out;
  }

  // Waits (up to 30 s) until the fake has seen `n` calls of `operation`.
  bool WaitForRequests(const std::string& operation, size_t n, ToolRun& run) {
    for (int i = 0; i < 1500; ++i) {
      if (fake_.Requests(operation).size() >= n) return true;
      if (!run.Running()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  testing::FakeEcs fake_;
  std::string dir_, definition_arn_;
};

// Log lines written over several states (more than one GetLogEvents page of 3) reach stderr in
// order, each once, and the tool exits with the container's exit code, not 0 or 1.
TEST_F(RunOnceFakeTest, StreamsLogsInOrderOnceAndExitsWithTheContainersCode) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "PENDING", "RUNNING", "STOPPED"};
  script.exit_codes = {{"app", 3}};
  script.logs = {{2, {"log: 1 starting", "log: 2 reading", "log: 3 writing", "log: 4 almost"}},
                 {3, {"log: 5 failed", "log: 6 bye"}}};
  fake_.SetTaskScript(script);

  ToolRun run = Run({"--env", "JOB=nightly", "--", "sh", "-c", "exit 3"});
  ASSERT_EQ(run.Wait(60000), 3) << run.Stderr();

  EXPECT_EQ(TaskOutput(run.Stderr()),
            (std::vector<std::string>{"log: 1 starting", "log: 2 reading", "log: 3 writing",
                                      "log: 4 almost", "log: 5 failed", "log: 6 bye"}))
      << run.Stderr();
  EXPECT_TRUE(Contains(run.Stderr(), "exited with 3")) << run.Stderr();

  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  const json& r = results[0];
  ExpectResultShape(r);
  EXPECT_EQ(r["task_arn"], "arn:aws:ecs:us-east-1:123456789012:task/jobs/task1");
  EXPECT_EQ(r["task_definition_arn"], definition_arn_);
  EXPECT_EQ(r["exit_code"], 3);
  EXPECT_EQ(r["stop_code"], "EssentialContainerExited");
  EXPECT_EQ(r["log_group"], "/ecs/job");
  EXPECT_EQ(r["log_stream"], "ecs/app/task1");
  EXPECT_TRUE(r["started_at"].is_string()) << r;
  EXPECT_TRUE(r["stopped_at"].is_string()) << r;

  // The command after -- and --env went to the only container.
  auto run_task = fake_.Requests("RunTask");
  ASSERT_EQ(run_task.size(), 1u);
  EXPECT_EQ(run_task[0]["overrides"]["containerOverrides"],
            json::parse(R"([{"name":"app","command":["sh","-c","exit 3"],
                             "environment":[{"name":"JOB","value":"nightly"}]}])"));
  EXPECT_TRUE(fake_.Requests("StopTask").empty());
}

// Every RunTask flag reaches the request in the shape ECS expects (moto cannot run awsvpc tasks,
// so this is where networking, capacity providers and task overrides are seen whole).
TEST_F(RunOnceFakeTest, RunTaskFlagsReachTheRequest) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "RUNNING", "STOPPED"};
  fake_.SetTaskScript(script);

  std::vector<std::string> args = {
      "--cluster", "jobs", "--task-definition", "job:1", "--container", "app",
      "--subnet", "subnet-1,subnet-2", "--subnet", "subnet-3", "--security-group", "sg-1",
      "--assign-public-ip", "--capacity-provider", "FARGATE_SPOT:3:1", "--capacity-provider",
      "FARGATE", "--platform-version", "1.4.0", "--cpu", "1024", "--memory", "2048",
      "--task-role-arn", "arn:aws:iam::123456789012:role/job", "--tag", "team=data", "--tag",
      "cost=nightly", "--started-by", "ci", "--client-token", "nightly-2024-05-01", "--command",
      "run", "nightly"};
  ToolRun run("sluice-run-once", dir_, AwsEnv(dir_, fake_.endpoint(), "AKIDFAKE", "fake-secret"),
              args);
  ASSERT_EQ(run.Wait(60000), 0) << run.Stderr();
  ASSERT_EQ(run.Results().size(), 1u) << run.Stdout();

  auto requests = fake_.Requests("RunTask");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0], json::parse(R"({
    "cluster": "jobs", "taskDefinition": "job:1", "count": 1,
    "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 1},
                                 {"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
    "platformVersion": "1.4.0",
    "networkConfiguration": {"awsvpcConfiguration": {
        "subnets": ["subnet-1", "subnet-2", "subnet-3"], "securityGroups": ["sg-1"],
        "assignPublicIp": "ENABLED"}},
    "overrides": {"containerOverrides": [{"name": "app", "command": ["run", "nightly"]}],
                  "cpu": "1024", "memory": "2048",
                  "taskRoleArn": "arn:aws:iam::123456789012:role/job"},
    "tags": [{"key": "team", "value": "data"}, {"key": "cost", "value": "nightly"}],
    "startedBy": "ci", "clientToken": "nightly-2024-05-01"})"))
      << requests[0].dump(2);
}

// A task that never ran (the image could not be pulled): no exit code to pass on, so exit 1,
// the reason on stderr and exit_code null in the result.
TEST_F(RunOnceFakeTest, TaskThatFailsToStartExitsOneWithTheReason) {
  const std::string reason =
      "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
      "failed to resolve ref docker.io/library/busybox:nope: not found";
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "STOPPED"};
  script.exit_codes = {};
  script.stop_code = "TaskFailedToStart";
  script.stopped_reason = reason;
  script.container_reasons = {{"app", reason}};
  fake_.SetTaskScript(script);

  ToolRun run = Run({});
  ASSERT_EQ(run.Wait(60000), 1) << run.Stderr();
  std::string err = run.Stderr();
  EXPECT_TRUE(Contains(err, "TaskFailedToStart")) << err;
  EXPECT_TRUE(Contains(err, "CannotPullContainerError")) << err;

  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  ExpectResultShape(results[0]);
  EXPECT_TRUE(results[0]["exit_code"].is_null()) << results[0];
  EXPECT_EQ(results[0]["stop_code"], "TaskFailedToStart");
  EXPECT_EQ(results[0]["stopped_reason"], reason);
  EXPECT_TRUE(results[0]["started_at"].is_null()) << "it never reached RUNNING";
}

// RunTask answering with failures and no task (e.g. no capacity): exit 1, the reason on stderr
// and in the result, nothing to stop.
TEST_F(RunOnceFakeTest, RunTaskFailuresExitOne) {
  fake_.FailRunTask(json::parse(R"([{"arn": "arn:aws:ecs:us-east-1:123456789012:cluster/jobs",
                                     "reason": "RESOURCE:MEMORY", "detail": "no room"}])"));
  ToolRun run = Run({});
  ASSERT_EQ(run.Wait(60000), 1) << run.Stderr();
  EXPECT_TRUE(Contains(run.Stderr(), "RESOURCE:MEMORY")) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  EXPECT_TRUE(results[0]["task_arn"].is_null()) << results[0];
  EXPECT_TRUE(results[0]["exit_code"].is_null()) << results[0];
  EXPECT_TRUE(Contains(results[0].value("stopped_reason", ""), "RESOURCE:MEMORY")) << results[0];
  EXPECT_TRUE(fake_.Tasks().empty());
  EXPECT_TRUE(fake_.Requests("DescribeTasks").empty());
}

// --timeout on a task that never stops by itself: StopTask, then exit 124 with a result line.
TEST_F(RunOnceFakeTest, TimeoutStopsTheTaskAndExits124) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "PENDING", "RUNNING"};  // no STOPPED: runs until stopped
  script.logs = {{2, {"log: working"}}};
  fake_.SetTaskScript(script);

  ToolRun run = Run({"--timeout", "2s"});
  ASSERT_EQ(run.Wait(60000), 124) << run.Stderr();

  auto stops = fake_.Requests("StopTask");
  ASSERT_EQ(stops.size(), 1u) << run.Stderr();
  EXPECT_EQ(stops[0]["task"], "arn:aws:ecs:us-east-1:123456789012:task/jobs/task1");
  EXPECT_EQ(stops[0]["cluster"], "jobs");
  EXPECT_TRUE(Contains(stops[0].value("reason", ""), "--timeout")) << stops[0];
  EXPECT_TRUE(Contains(run.Stderr(), "did not stop within --timeout")) << run.Stderr();

  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  ExpectResultShape(results[0]);
  EXPECT_EQ(results[0]["stop_code"], "UserInitiated") << results[0];
  EXPECT_TRUE(results[0]["exit_code"].is_null()) << results[0];
  EXPECT_EQ(fake_.Tasks().at(0)["lastStatus"], "STOPPED");
}

// SIGTERM while the task runs: StopTask with the documented reason, wait for STOPPED, a result
// line, exit 130.
TEST_F(RunOnceFakeTest, SigtermStopsTheTaskAndExits130) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "RUNNING"};  // runs until stopped
  fake_.SetTaskScript(script);

  ToolRun run = Run({});
  // Once it polls, the handlers are installed and the task exists.
  ASSERT_TRUE(WaitForRequests("DescribeTasks", 1, run)) << run.Stderr();
  run.Signal(SIGTERM);
  ASSERT_EQ(run.Wait(60000), 130) << run.Stderr();

  auto stops = fake_.Requests("StopTask");
  ASSERT_EQ(stops.size(), 1u) << run.Stderr();
  EXPECT_EQ(stops[0]["reason"], "sluice-run-once: interrupted");
  EXPECT_EQ(stops[0]["task"], "arn:aws:ecs:us-east-1:123456789012:task/jobs/task1");
  EXPECT_TRUE(Contains(run.Stderr(), "interrupted: stopping the task")) << run.Stderr();

  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  ExpectResultShape(results[0]);
  EXPECT_EQ(results[0]["task_arn"], "arn:aws:ecs:us-east-1:123456789012:task/jobs/task1");
  EXPECT_EQ(results[0]["stop_code"], "UserInitiated");
  EXPECT_EQ(results[0]["stopped_reason"], "sluice-run-once: interrupted");
  EXPECT_EQ(fake_.Tasks().at(0)["lastStatus"], "STOPPED");
}

// Throttled DescribeTasks and GetLogEvents calls are retried (within the client's 3 attempts):
// the run ends as scripted and no log line is lost or repeated.
TEST_F(RunOnceFakeTest, ThrottledPollsAreRetried) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "RUNNING", "STOPPED"};
  script.exit_codes = {{"app", 5}};
  script.logs = {{1, {"log: a", "log: b"}}, {2, {"log: c"}}};
  fake_.SetTaskScript(script);
  fake_.Throttle("DescribeTasks", 2);
  fake_.Throttle("GetLogEvents", 2);

  ToolRun run = Run({});
  ASSERT_EQ(run.Wait(90000), 5) << run.Stderr();
  EXPECT_EQ(TaskOutput(run.Stderr()), (std::vector<std::string>{"log: a", "log: b", "log: c"}))
      << run.Stderr();
  ASSERT_EQ(run.Results().size(), 1u) << run.Stdout();
  EXPECT_EQ(run.Results()[0]["exit_code"], 5);
  // The throttled calls did arrive (they are recorded before being refused).
  EXPECT_GE(fake_.Requests("DescribeTasks").size(), 4u);
}

// More throttled GetLogEvents than one poll's retries: reading logs is best effort (one warning),
// the run goes on, and later polls still deliver every line once.
TEST_F(RunOnceFakeTest, LogsThrottledBeyondRetriesWarnOnceAndCatchUp) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "RUNNING", "RUNNING", "STOPPED"};
  script.exit_codes = {{"app", 0}};
  script.logs = {{1, {"log: a", "log: b", "log: c", "log: d"}}};
  fake_.SetTaskScript(script);
  fake_.Throttle("GetLogEvents", 4);

  ToolRun run = Run({});
  ASSERT_EQ(run.Wait(90000), 0) << run.Stderr();
  std::string err = run.Stderr();
  EXPECT_EQ(TaskOutput(err), (std::vector<std::string>{"log: a", "log: b", "log: c", "log: d"}))
      << err;
  size_t warnings = 0;
  for (const std::string& line : Lines(err)) warnings += Contains(line, "GetLogEvents is throttled");
  EXPECT_EQ(warnings, 1u) << err;
}

// --no-logs: the task's output is not read at all (no GetLogEvents), but the exit code still is.
TEST_F(RunOnceFakeTest, NoLogsReadsNoLogs) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "RUNNING", "STOPPED"};
  script.exit_codes = {{"app", 4}};
  script.logs = {{1, {"log: hidden"}}};
  fake_.SetTaskScript(script);

  ToolRun run = Run({"--no-logs"});
  ASSERT_EQ(run.Wait(60000), 4) << run.Stderr();
  EXPECT_TRUE(TaskOutput(run.Stderr()).empty()) << run.Stderr();
  EXPECT_TRUE(fake_.Requests("GetLogEvents").empty());
  ASSERT_EQ(run.Results().size(), 1u) << run.Stdout();
  EXPECT_TRUE(run.Results()[0]["log_stream"].is_null()) << run.Results()[0];
}

// ---------------------------------------------------------------------------------------------
// --local runs the command here with the same --env; it needs no AWS settings at all. The
// command's stdout goes to stderr so stdout holds only the result line.
class RunOnceLocalTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("sluice-run-once-local-"); }
  void TearDown() override { testing::RemoveTree(dir_); }

  ToolRun Run(const std::vector<std::string>& args) {
    return ToolRun("sluice-run-once", dir_, AwsEnv(dir_, "", "", ""), args);
  }

  std::string dir_;
};

TEST_F(RunOnceLocalTest, ExitCodeAndEnvPassThroughAndStdoutHoldsOnlyTheResult) {
  ToolRun run = Run({"--local", "--env", "JOB=nightly", "--env", "EMPTY=", "--", "sh", "-c",
                     "echo \"out:$JOB:${EMPTY-unset}\"; echo err-line >&2; exit 7"});
  ASSERT_EQ(run.Wait(30000), 7) << run.Stderr();

  std::vector<std::string> out = Lines(run.Stdout());
  ASSERT_EQ(out.size(), 1u) << run.Stdout();
  json r = json::parse(out[0], nullptr, false);
  ASSERT_FALSE(r.is_discarded()) << out[0];
  EXPECT_EQ(r["exit_code"], 7) << r;
  EXPECT_EQ(r["local"], true) << r;
  EXPECT_EQ(r["command"], json({"sh", "-c",
                                "echo \"out:$JOB:${EMPTY-unset}\"; echo err-line >&2; exit 7"}));
  std::string err = run.Stderr();
  EXPECT_TRUE(Contains(err, "out:nightly:\n")) << err;  // EMPTY is set, to ""
  EXPECT_TRUE(Contains(err, "err-line\n")) << err;
}

TEST_F(RunOnceLocalTest, TimeoutStopsTheCommandAndExits124) {
  ToolRun run = Run({"--local", "--timeout", "1s", "--", "sleep", "30"});
  ASSERT_EQ(run.Wait(30000), 124) << run.Stderr();
  ASSERT_EQ(run.Results().size(), 1u) << run.Stdout();
  EXPECT_TRUE(Contains(run.Stderr(), "did not finish within --timeout")) << run.Stderr();
}

TEST_F(RunOnceLocalTest, MissingProgramExitsOne) {
  ToolRun run = Run({"--local", "--", dir_ + "/no-such-program"});
  EXPECT_EQ(run.Wait(30000), 1) << run.Stderr();
  EXPECT_FALSE(run.Stderr().empty());
}

}  // namespace
}  // namespace sluice
