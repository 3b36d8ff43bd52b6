// Waiting for an ECS task: eventual consistency right after RunTask (MISSING), and how a stopped
// task is judged from its stop code and exit codes.
#include "sluice/ecs/ecs_task_wait.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/peers/fake_ecs.h"

namespace sluice {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

EcsTask Stopped(const std::string& stop_code, std::optional<int> app_exit) {
  EcsTask task;
  task.last_status = "STOPPED";
  task.stop_code = stop_code;
  task.stopped_reason = "why";
  task.containers = {{"app", "STOPPED", app_exit, ""}};
  return task;
}

// The table in ecs_task_wait.h, case by case.
TEST(JudgeStoppedTaskTest, TheStopCodeDecidesBeforeTheExitCode) {
  struct Case {
    std::string stop_code;
    std::optional<int> exit;
    bool succeeded, retryable;
  };
  for (const Case& c : std::vector<Case>{
           {"EssentialContainerExited", 0, true, false},
           {"", 0, true, false},  // no stop code (older agents, moto): the exit code decides
           {"EssentialContainerExited", 3, false, true},
           {"SpotInterruption", 0, false, true},
           {"SpotInterruption", 143, false, true},
           {"TerminationNotice", 0, false, true},
           {"ServiceSchedulerInitiated", 0, false, true},
           {"UserInitiated", 0, false, false},
           {"UserInitiated", std::nullopt, false, false},
           {"TaskFailedToStart", std::nullopt, false, true},
           {"EssentialContainerExited", std::nullopt, false, true},
           {"SomethingNew", 0, false, false},
       }) {
    SCOPED_TRACE(c.stop_code + " exit " + (c.exit ? std::to_string(*c.exit) : "none"));
    TaskVerdict verdict = JudgeStoppedTask(Stopped(c.stop_code, c.exit), {"app"});
    EXPECT_EQ(verdict.succeeded, c.succeeded);
    EXPECT_EQ(verdict.retryable, c.retryable);
    EXPECT_EQ(verdict.exit_code, c.exit);
    EXPECT_EQ(verdict.reason.empty(), c.succeeded) << verdict.reason;
    if (!c.stop_code.empty() && !c.succeeded && c.stop_code != "EssentialContainerExited") {
      EXPECT_NE(verdict.reason.find(c.stop_code + ": why"), std::string::npos) << verdict.reason;
    }
  }
}

const json kDefinition = json::parse(R"({"family": "f", "containerDefinitions": [
    {"name": "app", "image": "busybox", "memory": 128, "essential": true}]})");

class WaitForTaskStoppedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddCluster("c");
    fake_.AddTaskDefinition(kDefinition);
    ecs_ = std::move(EcsClient::Make(fake_.Context())).value();
    options_.intervals = {milliseconds(1), milliseconds(2)};
    options_.sleep = [](milliseconds d) {
      std::this_thread::sleep_for(d);
      return true;
    };
    options_.on_not_visible_yet = [this](const std::string& reason) { said_.push_back(reason); };
  }
  std::string Start() {
    RunTaskRequest request;
    request.cluster = "c";
    request.task_definition = "f";
    return std::move(ecs_->RunTask(request)).value().tasks.at(0).arn;
  }

  testing::FakeEcs fake_;
  std::unique_ptr<EcsClient> ecs_;
  TaskWaitOptions options_;
  std::vector<std::string> said_;
};

TEST_F(WaitForTaskStoppedTest, ATaskNotVisibleYetIsWaitedFor) {
  testing::FakeEcs::TaskScript script;
  script.missing_describes = 4;
  fake_.SetTaskScript(script);
  auto task = WaitForTaskStopped(*ecs_, "c", Start(), options_);
  ASSERT_TRUE(task.ok()) << task.error().ToString();
  EXPECT_EQ(task->last_status, "STOPPED");
  EXPECT_EQ(said_, (std::vector<std::string>{"MISSING"}));
}

TEST_F(WaitForTaskStoppedTest, ATaskNeverShownFailsAfterTheGraceSayingItMayRun) {
  testing::FakeEcs::TaskScript script;
  script.missing_describes = 1000000;
  fake_.SetTaskScript(script);
  options_.missing_grace = milliseconds(20);
  auto task = WaitForTaskStopped(*ecs_, "c", Start(), options_);
  ASSERT_FALSE(task.ok());
  EXPECT_NE(task.error().message.find("has not shown task"), std::string::npos)
      << task.error().message;
  EXPECT_NE(task.error().message.find("may still be running"), std::string::npos);
}

TEST_F(WaitForTaskStoppedTest, WithoutAGraceMissingFailsAtOnce) {
  auto task = WaitForTaskStopped(*ecs_, "c", "arn:aws:ecs:us-east-1:123456789012:task/c/nope",
                                 [&] {
                                   TaskWaitOptions o = options_;
                                   o.missing_grace = milliseconds(0);
                                   return o;
                                 }());
  ASSERT_FALSE(task.ok());
  EXPECT_NE(task.error().message.find("MISSING"), std::string::npos) << task.error().message;
}

}  // namespace
}  // namespace sluice
