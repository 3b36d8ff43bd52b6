// sluice-run-once's work against the ECS/Logs fake: logs streamed once each over several polls,
// exit codes, tasks that never ran, throttling, --timeout and interrupts; and --local.
#include "sluice/run_once/run_once.h"

#include <gtest/gtest.h>

#include <thread>

#include "sluice/net/http.h"
#include "sluice/util/environment.h"
#include "sluice/util/exit_codes.h"
#include "sluice/util/time_format.h"
#include "tests/peers/fake_ecs.h"
#include "tests/support/fake_clock.h"

namespace sluice {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

const json kDefinition = json::parse(R"({"family": "batch", "containerDefinitions": [
  {"name": "app", "image": "busybox", "memory": 128, "essential": true,
   "logConfiguration": {"logDriver": "awslogs", "options": {
     "awslogs-group": "/ecs/batch", "awslogs-stream-prefix": "ecs"}}},
  {"name": "sidecar", "image": "busybox", "memory": 64, "essential": false}]})");

class RunOnceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddCluster("jobs");
    fake_.AddTaskDefinition(kDefinition);
    auto context = fake_.Context();
    ecs_ = std::move(EcsClient::Make(context)).value();
    logs_ = std::move(LogsClient::Make(context)).value();

    options_.request.cluster = "jobs";
    options_.request.task_definition = "batch";
    options_.target.definition = kDefinition;
    options_.target.essential = {"app"};
    options_.intervals = {milliseconds(1), milliseconds(5)};
    options_.log_interval = milliseconds(1);
    options_.log_idle_max = milliseconds(8);
    options_.log_throttled_max = milliseconds(20);
    options_.stop_wait = milliseconds(2000);

    deps_.ecs = ecs_.get();
    deps_.logs = logs_.get();
    deps_.sleep = [this](milliseconds d) {
      std::this_thread::sleep_for(d);
      return !interrupted_;
    };
    deps_.pause = [](milliseconds d) { std::this_thread::sleep_for(d); };
    deps_.log = [this](const std::string& line) { log_ += line + "\n"; };
    deps_.output = [this](const std::string& line) { output_.push_back(line); };
    deps_.emit = [this](const json& r) {
      results_.push_back(r);
      return true;
    };
    deps_.now = [] { return *ParseIso8601("2026-11-23T10:00:00Z"); };
  }
  void TearDown() override {
    EXPECT_TRUE(fake_.Refusals().empty()) << ::testing::PrintToString(fake_.Refusals());
  }

  testing::FakeEcs fake_;
  std::unique_ptr<EcsClient> ecs_;
  std::unique_ptr<LogsClient> logs_;
  RunOnceOptions options_;
  RunOnceDeps deps_;
  bool interrupted_ = false;
  std::string log_;
  std::vector<std::string> output_;
  std::vector<json> results_;
};

TEST_F(RunOnceTest, StreamsEveryLogLineOnceAndExitsWithTheTaskCode) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "PENDING", "RUNNING", "RUNNING", "RUNNING", "STOPPED"};
  script.logs = {{2, {"1", "2", "3", "4"}}, {3, {"5"}}, {4, {"6", "7"}}, {5, {"8"}}};
  script.exit_codes = {{"app", 0}, {"sidecar", 1}};
  fake_.SetTaskScript(script);
  EXPECT_EQ(RunOnce(options_, deps_), 0) << log_;
  EXPECT_EQ(output_, (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8"}));
  ASSERT_EQ(results_.size(), 1u);
  const json& r = results_[0];
  EXPECT_EQ(r["task_arn"], "arn:aws:ecs:us-east-1:123456789012:task/jobs/task1");
  EXPECT_EQ(r["exit_code"], 0);  // the sidecar is not essential
  EXPECT_EQ(r["stop_code"], "EssentialContainerExited");
  EXPECT_EQ(r["log_group"], "/ecs/batch");
  EXPECT_EQ(r["log_stream"], "ecs/app/task1");
  EXPECT_EQ(r["started_at"], "2025-11-23T10:00:10Z");
  EXPECT_NE(log_.find("task is RUNNING"), std::string::npos) << log_;
}

TEST_F(RunOnceTest, ANonZeroExitIsTheExitStatus) {
  testing::FakeEcs::TaskScript script;
  script.exit_codes = {{"app", 42}};
  fake_.SetTaskScript(script);
  EXPECT_EQ(RunOnce(options_, deps_), 42);
  EXPECT_EQ(results_[0]["exit_code"], 42);
}

TEST_F(RunOnceTest, ATaskThatNeverRanExitsOneWithItsReason) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "STOPPED"};
  script.exit_codes = {};
  script.stop_code = "TaskFailedToStart";
  script.stopped_reason = "ResourceInitializationError: unable to pull secrets";
  fake_.SetTaskScript(script);
  EXPECT_EQ(RunOnce(options_, deps_), kExitFailure);
  EXPECT_TRUE(results_[0]["exit_code"].is_null());
  EXPECT_EQ(results_[0]["stop_code"], "TaskFailedToStart");
  EXPECT_NE(log_.find("TaskFailedToStart: ResourceInitializationError"), std::string::npos) << log_;
}

TEST_F(RunOnceTest, RunTaskFailuresExitOneWithAResultLine) {
  fake_.FailRunTask(json::parse(R"([{"reason": "RESOURCE:MEMORY"}])"));
  EXPECT_EQ(RunOnce(options_, deps_), kExitFailure);
  EXPECT_NE(log_.find("RunTask started no task: RESOURCE:MEMORY"), std::string::npos) << log_;
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(results_[0]["task_arn"].is_null());
  EXPECT_EQ(results_[0]["stopped_reason"], "RESOURCE:MEMORY");
}

TEST_F(RunOnceTest, AMissingClusterIsOneClearLine) {
  options_.request.cluster = "nope";
  EXPECT_EQ(RunOnce(options_, deps_), kExitFailure);
  EXPECT_NE(log_.find("ClusterNotFoundException"), std::string::npos) << log_;
}

TEST_F(RunOnceTest, ThrottlingIsSurvived) {
  testing::FakeEcs::TaskScript script;
  script.logs = {{2, {"hello"}}};
  fake_.SetTaskScript(script);
  fake_.Throttle("DescribeTasks", 2);
  fake_.Throttle("GetLogEvents", 2);
  EXPECT_EQ(RunOnce(options_, deps_), 0) << log_;
  EXPECT_EQ(output_, (std::vector<std::string>{"hello"}));
}

TEST_F(RunOnceTest, ThrottlingBeyondTheClientsRetriesDoesNotAbandonTheTask) {
  testing::FakeEcs::TaskScript script;
  script.exit_codes = {{"app", 5}};
  fake_.SetTaskScript(script);
  fake_.Throttle("DescribeTasks", 7);  // more than one call's three attempts, twice over
  EXPECT_EQ(RunOnce(options_, deps_), 5) << log_;
  EXPECT_NE(log_.find("still waiting for the task"), std::string::npos) << log_;
}

// The GetLogEvents quota is shared by the account: beyond it, polls are throttled for a while.
// Nothing may be lost and the task's result still decides.
TEST_F(RunOnceTest, ThrottledLogsAreReadLessOftenAndNoLineIsLost) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "RUNNING", "RUNNING", "RUNNING", "STOPPED"};
  script.logs = {{1, {"a", "b"}}, {2, {"c"}}, {3, {"d", "e", "f", "g"}}, {4, {"h"}}};
  fake_.SetTaskScript(script);
  fake_.Throttle("GetLogEvents", 9);  // three polls' worth of the client's three attempts
  fake_.LimitGetLogEvents(200, 2);    // and a token bucket behind that
  EXPECT_EQ(RunOnce(options_, deps_), 0) << log_;
  EXPECT_EQ(output_, (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h"}));
  EXPECT_GE(fake_.ThrottledCalls("GetLogEvents"), 9);
  size_t said = 0;
  for (size_t at = log_.find("throttled"); at != std::string::npos; at = log_.find("throttled", at + 1)) {
    ++said;
  }
  EXPECT_EQ(said, 1u) << log_;  // one line, not one per poll
}

// Right after RunTask, DescribeTasks may answer MISSING: before the fix, exit 1 while the task ran.
TEST_F(RunOnceTest, ATaskEcsDoesNotShowYetIsWaitedFor) {
  testing::FakeEcs::TaskScript script;
  script.missing_describes = 3;
  script.exit_codes = {{"app", 7}};
  fake_.SetTaskScript(script);
  EXPECT_EQ(RunOnce(options_, deps_), 7) << log_;
  EXPECT_NE(log_.find("ECS does not show the task yet (MISSING)"), std::string::npos) << log_;
  EXPECT_EQ(fake_.Requests("RunTask").size(), 1u);
}

// Fargate Spot reclaimed the task; its app exited 0 on SIGTERM. Before the fix: exit 0.
TEST_F(RunOnceTest, ATaskEcsStoppedIsNotASuccessEvenWhenItExitedZero) {
  for (std::string code : {"SpotInterruption", "TerminationNotice", "ServiceSchedulerInitiated",
                           "UserInitiated"}) {
    SCOPED_TRACE(code);
    testing::FakeEcs::TaskScript script;
    script.stop_code = code;
    script.stopped_reason = "reason for " + code;
    fake_.SetTaskScript(script);
    results_.clear();
    log_.clear();
    EXPECT_EQ(RunOnce(options_, deps_), kExitFailure) << log_;
    EXPECT_EQ(results_.at(0)["stop_code"], code);
    EXPECT_EQ(results_.at(0)["exit_code"], 0);
    EXPECT_NE(log_.find(code + ": reason for " + code), std::string::npos) << log_;
  }
}

TEST_F(RunOnceTest, TheResultCarriesTheClientTokenSent) {
  options_.request.client_token = "sluice-0123";
  EXPECT_EQ(RunOnce(options_, deps_), 0) << log_;
  EXPECT_EQ(fake_.Requests("RunTask").at(0)["clientToken"], "sluice-0123");
  EXPECT_EQ(results_.at(0)["client_token"], "sluice-0123");
}

TEST_F(RunOnceTest, AnInterruptBeforeTheStartStartsNothing) {
  deps_.interrupted = [] { return true; };
  EXPECT_EQ(RunOnce(options_, deps_), kExitInterrupted);
  EXPECT_TRUE(fake_.Requests("RunTask").empty());
}

TEST_F(RunOnceTest, TimeoutStopsTheTaskAndExits124) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PENDING", "RUNNING"};
  fake_.SetTaskScript(script);
  options_.timeout = milliseconds(50);
  EXPECT_EQ(RunOnce(options_, deps_), kExitTimeout);
  auto stops = fake_.Requests("StopTask");
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0]["reason"], "sluice-run-once: --timeout 50ms");
  EXPECT_EQ(results_[0]["stop_code"], "UserInitiated");
}

TEST_F(RunOnceTest, AnInterruptStopsTheTaskAndExits130) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PENDING", "RUNNING"};
  fake_.SetTaskScript(script);
  int sleeps = 0;
  deps_.sleep = [&](milliseconds) { return ++sleeps < 3; };
  EXPECT_EQ(RunOnce(options_, deps_), kExitInterrupted);
  auto stops = fake_.Requests("StopTask");
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0]["reason"], "sluice-run-once: interrupted");
  EXPECT_EQ(fake_.Tasks()[0]["lastStatus"], "STOPPED");
  EXPECT_EQ(results_.size(), 1u);
}

TEST_F(RunOnceTest, NoAwslogsMeansNoFollowingAndSaysSo) {
  json plain = json::parse(R"({"family": "plain", "containerDefinitions": [
      {"name": "app", "image": "busybox", "memory": 128}]})");
  fake_.AddTaskDefinition(plain);
  options_.request.task_definition = "plain";
  options_.target.definition = plain;
  EXPECT_EQ(RunOnce(options_, deps_), 0);
  EXPECT_NE(log_.find("output is not followed"), std::string::npos) << log_;
  for (const std::string& op : fake_.Operations()) EXPECT_NE(op, "GetLogEvents");
}

TEST_F(RunOnceTest, LogsInAnotherRegionAreNotFollowedAndThatIsSaid) {
  json elsewhere = kDefinition;
  elsewhere["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-region"] = "eu-west-1";
  options_.target.definition = elsewhere;
  options_.region = "us-east-1";
  EXPECT_EQ(RunOnce(options_, deps_), 0);
  EXPECT_NE(log_.find("logs to eu-west-1 (awslogs-region), not us-east-1"), std::string::npos) << log_;
  EXPECT_TRUE(fake_.Requests("GetLogEvents").empty());
}

TEST_F(RunOnceTest, LocalRunsTheCommandWithTheEnvironment) {
  LocalRunOptions local;
  local.argv = {"sh", "-c", "test \"$JOB\" = nightly && exit 7"};
  local.env = {{"JOB", "nightly"}};
  EXPECT_EQ(RunLocal(local, [] { return false; }, deps_), 7);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0]["exit_code"], 7);
  EXPECT_EQ(results_[0]["local"], true);
  EXPECT_TRUE(results_[0]["task_arn"].is_null());
}

TEST_F(RunOnceTest, LocalTimeoutAndInterrupt) {
  LocalRunOptions local;
  local.argv = {"sleep", "30"};
  local.timeout = milliseconds(100);
  EXPECT_EQ(RunLocal(local, [] { return false; }, deps_), kExitTimeout);
  local.timeout = milliseconds(0);
  EXPECT_EQ(RunLocal(local, [] { return true; }, deps_), kExitInterrupted);
  local.argv = {"/no/such/program"};
  EXPECT_EQ(RunLocal(local, [] { return false; }, deps_), kExitFailure);
  EXPECT_NE(log_.find("cannot run /no/such/program"), std::string::npos);
}

}  // namespace
}  // namespace sluice
