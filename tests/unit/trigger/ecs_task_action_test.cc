// ECS RunTask requests as sluice-trigger (and sluice-run-once) build them, task descriptions as
// ECS returns them, and the ECS action against a loopback fake of the ECS JSON API for what moto
// cannot do: failed tasks, non-zero exit codes, RunTask failures, timeouts.
#include "sluice/trigger/ecs_task_action.h"

#include <gtest/gtest.h>

#include <mutex>

#include "sluice/ecs/ecs_task_wait.h"
#include "sluice/event/sqs_message_ref.h"
#include "sluice/net/http.h"
#include "sluice/util/environment.h"
#include "tests/peers/fake_ecs.h"
#include "tests/support/fake_clock.h"

namespace sluice {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

TriggerEvent Event(const std::string& key = "uploads/u1/a b.csv", const std::string& etag = "e1") {
  return {json{{"event", "created"}, {"uri", "s3://in/" + key}, {"bucket", "in"}, {"key", key},
               {"etag", etag}},
          1};
}

TEST(RunTaskRequestTest, CarriesNetworkingCapacityOverridesAndTags) {
  RunTaskRequest r;
  r.cluster = "jobs";
  r.task_definition = "process:3";
  r.capacity_providers = {{"FARGATE_SPOT", 3, 0}, {"FARGATE", 1, 1}};
  r.platform_version = "1.4.0";
  r.subnets = {"subnet-1", "subnet-2"};
  r.security_groups = {"sg-1"};
  r.assign_public_ip = true;
  r.container_overrides = {{"app", std::vector<std::string>{"run", "x"}, {{"INPUT_KEY", "k"}}}};
  r.cpu = "512";
  r.task_role_arn = "arn:aws:iam::1:role/r";
  r.tags = {{"team", "data"}};
  r.started_by = "sluice-trigger";
  r.client_token = "t";
  json j = ToJson(r);
  EXPECT_EQ(j["cluster"], "jobs");
  EXPECT_EQ(j["taskDefinition"], "process:3");
  EXPECT_EQ(j["count"], 1);
  EXPECT_FALSE(j.contains("launchType"));
  EXPECT_EQ(j["capacityProviderStrategy"][0],
            (json{{"capacityProvider", "FARGATE_SPOT"}, {"weight", 3}, {"base", 0}}));
  EXPECT_EQ(j["networkConfiguration"]["awsvpcConfiguration"],
            (json{{"subnets", {"subnet-1", "subnet-2"}},
                  {"securityGroups", {"sg-1"}},
                  {"assignPublicIp", "ENABLED"}}));
  EXPECT_EQ(j["overrides"]["containerOverrides"][0],
            (json{{"name", "app"},
                  {"command", {"run", "x"}},
                  {"environment", {{{"name", "INPUT_KEY"}, {"value", "k"}}}}}));
  EXPECT_EQ(j["overrides"]["cpu"], "512");
  EXPECT_EQ(j["overrides"]["taskRoleArn"], "arn:aws:iam::1:role/r");
  EXPECT_EQ(j["tags"], (json{{{"key", "team"}, {"value", "data"}}}));
  EXPECT_EQ(j["startedBy"], "sluice-trigger");
  EXPECT_EQ(j["clientToken"], "t");
}

TEST(RunTaskRequestTest, LeavesOutWhatWasNotAskedFor) {
  RunTaskRequest r;
  r.cluster = "c";
  r.task_definition = "f";
  r.launch_type = "FARGATE";
  json j = ToJson(r);
  EXPECT_EQ(j, (json{{"cluster", "c"}, {"taskDefinition", "f"}, {"count", 1}, {"launchType", "FARGATE"}}));
}

TEST(EcsTaskTest, ParsesATaskAndItsContainers) {
  auto task = ParseEcsTask(json::parse(R"({
    "taskArn": "arn:aws:ecs:us-east-1:1:task/jobs/abc123", "lastStatus": "STOPPED",
    "stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited",
    "startedAt": 1763892000.5, "stoppedAt": 1763892060,
    "containers": [{"name": "app", "exitCode": 3, "lastStatus": "STOPPED"},
                   {"name": "sidecar", "lastStatus": "STOPPED", "reason": "OutOfMemoryError"}]})"));
  ASSERT_TRUE(task.ok()) << task.error().ToString();
  EXPECT_EQ(task->arn, "arn:aws:ecs:us-east-1:1:task/jobs/abc123");
  EXPECT_EQ(TaskIdFromArn(task->arn), "abc123");
  EXPECT_EQ(task->stop_code, "EssentialContainerExited");
  ASSERT_EQ(task->containers.size(), 2u);
  EXPECT_EQ(task->containers[0].exit_code, 3);
  EXPECT_FALSE(task->containers[1].exit_code);
  EXPECT_TRUE(task->started_at);
  EXPECT_EQ(DescribeStop(*task),
            "EssentialContainerExited: Essential container in task exited (sidecar: OutOfMemoryError)");
  EXPECT_FALSE(ParseEcsTask(json::parse(R"({"taskArn": 5})")).ok());
}

TEST(EcsTaskTest, TheExitCodeIsTheFirstNonZeroOfTheEssentialContainers) {
  EcsTask task;
  task.containers = {{"log-router", "STOPPED", 137, ""}, {"app", "STOPPED", 0, ""},
                     {"worker", "STOPPED", 2, ""}};
  EXPECT_EQ(TaskExitCode(task, {"app"}), 0);
  EXPECT_EQ(TaskExitCode(task, {"app", "worker"}), 2);
  EXPECT_EQ(TaskExitCode(task, {}), 137);
  EcsTask never_ran;
  never_ran.containers = {{"app", "STOPPED", std::nullopt, "CannotPullContainerError"}};
  EXPECT_FALSE(TaskExitCode(never_ran, {"app"}));
}

TEST(EventClientTokenTest, IsStablePerEventAndAttemptAndFitsEcsLimits) {
  std::string token = EventClientToken("c", "f:1", Event(), 1);
  EXPECT_EQ(token.size(), 64u);
  for (char ch : token) EXPECT_TRUE(ch >= 33 && ch <= 126);
  EXPECT_EQ(token, EventClientToken("c", "f:1", Event(), 1));
  EXPECT_NE(token, EventClientToken("c", "f:1", Event(), 2));
  EXPECT_NE(token, EventClientToken("c", "f:1", Event("uploads/u1/a b.csv", "e2"), 1));
  EXPECT_NE(token, EventClientToken("c", "g:1", Event(), 1));
}

const nlohmann::json kDefinition = json::parse(R"({"family": "f", "containerDefinitions": [
    {"name": "app", "image": "busybox", "memory": 128, "essential": true},
    {"name": "log-router", "image": "fluent-bit", "memory": 64, "essential": false}]})");

class EcsTaskActionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddCluster("c");
    fake_.AddTaskDefinition(kDefinition);
  }
  void TearDown() override {
    EXPECT_TRUE(fake_.Refusals().empty()) << ::testing::PrintToString(fake_.Refusals());
  }

  std::unique_ptr<TriggerAction> Action(EcsTaskActionOptions options) {
    auto ecs = EcsClient::Make(fake_.Context());
    EXPECT_TRUE(ecs.ok());
    options.request.cluster = "c";
    options.request.task_definition = "f:1";
    if (options.container.empty()) options.container = "app";
    options.intervals = {milliseconds(1), milliseconds(5)};
    return MakeEcsTaskAction(std::move(ecs).value(), std::move(options));
  }

  EcsTaskActionOptions Waiting() {
    EcsTaskActionOptions options;
    options.wait = true;
    options.essential = {"app"};
    return options;
  }

  testing::FakeEcs fake_;
  std::atomic<bool> stop_{false};
};

TEST_F(EcsTaskActionTest, StartsATaskWithTheEventInItsEnvironment) {
  EcsTaskActionOptions options;
  options.env.emplace_back("INPUT_KEY", *EventTemplate::Parse("{key}"));
  options.command = {*EventTemplate::Parse("process"), *EventTemplate::Parse("s3://{bucket}/{key}")};
  options.request.subnets = {"subnet-1"};
  options.request.launch_type = "FARGATE";
  ActionOutcome outcome = Action(std::move(options))->Run(Event(), 1, stop_);
  EXPECT_TRUE(outcome.succeeded) << outcome.error;
  EXPECT_EQ(outcome.task_arn, "arn:aws:ecs:us-east-1:123456789012:task/c/task1");
  EXPECT_EQ(fake_.Operations(), (std::vector<std::string>{"RunTask"}));
  json body = fake_.Requests("RunTask")[0];
  EXPECT_EQ(body["overrides"]["containerOverrides"][0],
            (json{{"name", "app"},
                  {"command", {"process", "s3://in/uploads/u1/a b.csv"}},
                  {"environment", {{{"name", "INPUT_KEY"}, {"value", "uploads/u1/a b.csv"}}}}}));
  EXPECT_EQ(body["clientToken"], EventClientToken("c", "f:1", Event(), 1));
}

TEST_F(EcsTaskActionTest, TheSameEventTwiceStartsOneTask) {
  auto action = Action({});
  ActionOutcome first = action->Run(Event(), 1, stop_);
  ActionOutcome again = action->Run(Event(), 1, stop_);
  ActionOutcome retry = action->Run(Event(), 2, stop_);
  EXPECT_EQ(first.task_arn, again.task_arn);  // ECS honours the clientToken
  EXPECT_NE(first.task_arn, retry.task_arn);  // a new attempt is a new task
  EXPECT_EQ(fake_.Tasks().size(), 2u);
}

// The event as the n-th delivery of its SQS message brings it.
TriggerEvent Delivery(int receive_count) {
  TriggerEvent event = Event();
  event.fields["sqs"] = ToJson(SqsMessageRef{"https://sqs/q", "m1", "rh" + std::to_string(receive_count),
                                             receive_count, 1, 0});
  return event;
}

// SQS delivers a message again after its task failed; its RunTask carries the same clientToken,
// which ECS answers with the failed task. Before the fix that failure was reported again and no
// new task started: the message went to the dead-letter queue after one real try.
TEST_F(EcsTaskActionTest, AMessageDeliveredAgainAfterItsTaskFailedStartsANewTaskButNotAThird) {
  testing::FakeEcs::TaskScript failing;
  failing.exit_codes = {{"app", 3}};
  fake_.SetTaskScript(failing);
  std::vector<std::string> log;
  EcsTaskActionOptions options = Waiting();
  options.log = [&log](const std::string& line) { log.push_back(line); };
  auto action = Action(std::move(options));
  ActionOutcome first = action->Run(Delivery(1), 0, stop_);
  EXPECT_FALSE(first.succeeded);
  fake_.SetTaskScript({});  // the next task succeeds
  ActionOutcome second = action->Run(Delivery(2), 0, stop_);
  EXPECT_TRUE(second.succeeded) << second.error;
  EXPECT_NE(second.task_arn, first.task_arn);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("an earlier delivery of its message started it and it failed"),
            std::string::npos) << log[0];
  auto runs = fake_.Requests("RunTask");
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[1]["clientToken"], runs[0]["clientToken"]);
  EXPECT_EQ(runs[2]["clientToken"], NextClientToken(runs[0]["clientToken"], first.task_arn));
  // A third delivery (the reader of the second died after its task ended) walks the same chain
  // to the task that succeeded: no third task.
  ActionOutcome third = action->Run(Delivery(3), 0, stop_);
  EXPECT_TRUE(third.succeeded) << third.error;
  EXPECT_EQ(third.task_arn, second.task_arn);
  EXPECT_EQ(fake_.Tasks().size(), 2u);
  // An event from no queue (a journal's replay) never walks: its failed task is reported.
  fake_.SetTaskScript(failing);
  EXPECT_FALSE(action->Run(Event(), 5, stop_).succeeded);
  EXPECT_FALSE(action->Run(Event(), 5, stop_).succeeded);
  EXPECT_EQ(fake_.Tasks().size(), 3u);
}

TEST(NextClientTokenTest, IsAStableChainThatFitsEcsLimits) {
  std::string t = EventClientToken("c", "f:1", Event(), 0);
  std::string next = NextClientToken(t, "arn:aws:ecs:us-east-1:1:task/c/a");
  EXPECT_EQ(next.size(), 64u);
  EXPECT_EQ(next, NextClientToken(t, "arn:aws:ecs:us-east-1:1:task/c/a"));
  EXPECT_NE(next, NextClientToken(t, "arn:aws:ecs:us-east-1:1:task/c/b"));
  EXPECT_NE(next, t);
}

TEST_F(EcsTaskActionTest, WaitReportsTheEssentialContainersExitCode) {
  testing::FakeEcs::TaskScript script;
  script.exit_codes = {{"app", 3}, {"log-router", 0}};
  fake_.SetTaskScript(script);
  ActionOutcome outcome = Action(Waiting())->Run(Event(), 1, stop_);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_EQ(outcome.error, "the task's essential container exited with 3");
  EXPECT_TRUE(outcome.retryable);
  EXPECT_EQ(fake_.Operations(), (std::vector<std::string>{"RunTask", "DescribeTasks",
                                                          "DescribeTasks", "DescribeTasks"}));
}

// ECS is eventually consistent: DescribeTasks right after RunTask may not know the task yet.
// Before the fix the attempt failed on the first MISSING and the retry started a second task.
TEST_F(EcsTaskActionTest, ATaskEcsDoesNotShowYetIsWaitedForAndNotStartedAgain) {
  testing::FakeEcs::TaskScript script;
  script.missing_describes = 3;
  fake_.SetTaskScript(script);
  std::vector<std::string> log;
  EcsTaskActionOptions options = Waiting();
  options.log = [&log](const std::string& line) { log.push_back(line); };
  ActionOutcome outcome = Action(std::move(options))->Run(Event(), 1, stop_);
  EXPECT_TRUE(outcome.succeeded) << outcome.error;
  EXPECT_EQ(fake_.Requests("RunTask").size(), 1u);
  EXPECT_EQ(fake_.Tasks().size(), 1u);
  ASSERT_EQ(log.size(), 1u);  // said once, not per poll
  EXPECT_NE(log[0].find("does not show"), std::string::npos) << log[0];
}

TEST_F(EcsTaskActionTest, ATaskEcsNeverShowsFailsWithoutASecondAttempt) {
  testing::FakeEcs::TaskScript script;
  script.missing_describes = 1000000;
  fake_.SetTaskScript(script);
  EcsTaskActionOptions options = Waiting();
  options.missing_grace = milliseconds(30);
  ActionOutcome outcome = Action(std::move(options))->Run(Event(), 1, stop_);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_FALSE(outcome.retryable);  // it may be running: another attempt would be a second task
  EXPECT_NE(outcome.error.find("MISSING"), std::string::npos) << outcome.error;
  EXPECT_NE(outcome.error.find("may still be running"), std::string::npos) << outcome.error;
}

// A Fargate Spot task reclaimed by AWS whose app exits 0 on SIGTERM: before the fix a success.
TEST_F(EcsTaskActionTest, ASpotInterruptedTaskThatExitedZeroIsARetryableFailure) {
  testing::FakeEcs::TaskScript script;
  script.stop_code = "SpotInterruption";
  script.stopped_reason = "Your Spot Task was interrupted.";
  fake_.SetTaskScript(script);
  ActionOutcome outcome = Action(Waiting())->Run(Event(), 1, stop_);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_TRUE(outcome.retryable);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.stop_code, "SpotInterruption");
  EXPECT_NE(outcome.error.find("SpotInterruption: Your Spot Task was interrupted."),
            std::string::npos) << outcome.error;
}

TEST_F(EcsTaskActionTest, ATaskSomeoneStoppedIsAFailureThatIsNotRetried) {
  testing::FakeEcs::TaskScript script;
  script.stop_code = "UserInitiated";
  script.stopped_reason = "Task stopped by user";
  fake_.SetTaskScript(script);
  ActionOutcome outcome = Action(Waiting())->Run(Event(), 1, stop_);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_FALSE(outcome.retryable);
  EXPECT_EQ(outcome.stop_code, "UserInitiated");
}

TEST_F(EcsTaskActionTest, ANonEssentialContainerDoesNotDecide) {
  testing::FakeEcs::TaskScript script;
  script.exit_codes = {{"app", 0}, {"log-router", 137}};
  fake_.SetTaskScript(script);
  ActionOutcome outcome = Action(Waiting())->Run(Event(), 1, stop_);
  EXPECT_TRUE(outcome.succeeded) << outcome.error;
  EXPECT_EQ(outcome.exit_code, 0);
}

TEST_F(EcsTaskActionTest, ThrottledPollsAreRetried) {
  fake_.Throttle("DescribeTasks", 2);
  ActionOutcome outcome = Action(Waiting())->Run(Event(), 1, stop_);
  EXPECT_TRUE(outcome.succeeded) << outcome.error;
}

TEST_F(EcsTaskActionTest, ATaskThatNeverRanFailsWithItsStopReason) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PROVISIONING", "STOPPED"};
  script.exit_codes = {};
  script.stop_code = "TaskFailedToStart";
  script.stopped_reason = "CannotPullContainerError: pull access denied";
  fake_.SetTaskScript(script);
  ActionOutcome outcome = Action(Waiting())->Run(Event(), 1, stop_);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_FALSE(outcome.exit_code);
  EXPECT_NE(outcome.error.find("TaskFailedToStart: CannotPullContainerError"), std::string::npos)
      << outcome.error;
  EXPECT_TRUE(outcome.retryable);
}

TEST_F(EcsTaskActionTest, RunTaskFailuresAreRetryableErrors) {
  fake_.FailRunTask(json::parse(R"([{"arn": "x", "reason": "RESOURCE:FARGATE", "detail": "none left"}])"));
  ActionOutcome outcome = Action({})->Run(Event(), 1, stop_);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_TRUE(outcome.retryable);
  EXPECT_EQ(outcome.error, "RunTask started no task: RESOURCE:FARGATE (none left)");
}

TEST_F(EcsTaskActionTest, ARequestEcsRefusesIsNotRetried) {
  EcsTaskActionOptions options;
  options.container = "nope";
  options.env.emplace_back("X", *EventTemplate::Parse("1"));
  ActionOutcome outcome = Action(std::move(options))->Run(Event(), 1, stop_);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_FALSE(outcome.retryable);
  EXPECT_NE(outcome.error.find("InvalidParameterException"), std::string::npos) << outcome.error;
}

TEST_F(EcsTaskActionTest, ATimeoutStopsTheTask) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PENDING", "RUNNING"};  // runs until stopped
  fake_.SetTaskScript(script);
  EcsTaskActionOptions options = Waiting();
  options.timeout = milliseconds(50);
  ActionOutcome outcome = Action(std::move(options))->Run(Event(), 1, stop_);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_EQ(outcome.exit_code, 124);
  EXPECT_EQ(fake_.Operations().back(), "StopTask");
  EXPECT_EQ(fake_.Tasks()[0]["lastStatus"], "STOPPED");
  EXPECT_EQ(fake_.Tasks()[0]["stopCode"], "UserInitiated");
}

TEST_F(EcsTaskActionTest, StopLeavesTheTaskRunning) {
  testing::FakeEcs::TaskScript script;
  script.states = {"PENDING", "RUNNING"};
  fake_.SetTaskScript(script);
  stop_ = true;
  ActionOutcome outcome = Action(Waiting())->Run(Event(), 1, stop_);
  EXPECT_TRUE(outcome.stopped);
  EXPECT_NE(outcome.error.find("goes on running"), std::string::npos);
  EXPECT_NE(fake_.Operations().back(), "StopTask");
}

}  // namespace
}  // namespace sluice
