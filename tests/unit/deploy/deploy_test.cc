// sluice-deploy's work against the ECS fake: a new image rolled out, nothing registered when
// nothing changed, --register-only, --dry-run, rollback after a failed or timed-out rollout,
// ECS's circuit breaker counted as a failure, interrupts, --keep-revisions and clear errors.
#include "sluice/deploy/deploy.h"

#include <gtest/gtest.h>

#include "sluice/net/http.h"
#include "sluice/util/environment.h"
#include "sluice/util/exit_codes.h"
#include "tests/peers/fake_ecs.h"
#include "tests/support/fake_clock.h"

namespace sluice {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Script = testing::FakeEcs::RolloutScript;

const json kWeb = json::parse(R"({"family": "web", "cpu": "256", "memory": "512",
  "containerDefinitions": [{"name": "app", "image": "repo/app:1", "essential": true,
                            "environment": [{"name": "MODE", "value": "a"}]}]})");

class DeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddCluster("prod");
    v1_ = fake_.AddTaskDefinition(kWeb);
    fake_.AddService("prod", "web", v1_);
    ecs_ = std::move(EcsClient::Make(fake_.Context())).value();

    options_.cluster = "prod";
    options_.service = "web";
    options_.intervals = {milliseconds(1), milliseconds(5)};
    deps_.ecs = ecs_.get();
    deps_.sleep = [this](milliseconds) { return !interrupted_; };
    deps_.log = [this](const std::string& line) { log_ += line + "\n"; };
    deps_.diff = [this](const std::string& text) { diff_ += text; };
    deps_.emit = [this](const json& r) {
      results_.push_back(r);
      return true;
    };
  }
  void TearDown() override {
    EXPECT_TRUE(fake_.Refusals().empty()) << ::testing::PrintToString(fake_.Refusals());
  }

  int Deploy() { return RunDeploy(options_, deps_); }
  const json& Result() const { return results_.back(); }
  size_t Count(const std::string& operation) const { return fake_.Requests(operation).size(); }

  testing::FakeEcs fake_;
  std::string v1_;
  std::unique_ptr<EcsClient> ecs_;
  DeployOptions options_;
  DeployDeps deps_;
  bool interrupted_ = false;
  std::string log_, diff_;
  std::vector<json> results_;
};

const std::string kV2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2";

TEST_F(DeployTest, ANewImageIsRegisteredAndRolledOut) {
  fake_.SetRolloutScripts({Script{{"IN_PROGRESS", "IN_PROGRESS", "COMPLETED"}}});
  options_.image = "repo/app@sha256:0123";
  EXPECT_EQ(Deploy(), kExitSuccess) << log_;
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(Result()["status"], "completed");
  EXPECT_EQ(Result()["task_definition_arn"], kV2);
  EXPECT_EQ(Result()["previous_task_definition_arn"], v1_);
  json registered = fake_.Requests("RegisterTaskDefinition").at(0);
  EXPECT_EQ(registered["containerDefinitions"][0]["image"], "repo/app@sha256:0123");
  EXPECT_EQ(registered["cpu"], "256");
  EXPECT_EQ(fake_.Service("prod", "web")["taskDefinition"], kV2);
  EXPECT_NE(log_.find("has reached a steady state"), std::string::npos) << log_;
  EXPECT_NE(log_.find("has started 1 tasks"), std::string::npos) << log_;
}

TEST_F(DeployTest, ThrottlingWhileWaitingIsWaitedOut) {
  fake_.SetRolloutScripts({Script{{"IN_PROGRESS", "COMPLETED"}}});
  options_.image = "repo/app:2";
  // The first DescribeServices (before the registration) passes; then more throttling than
  // one call's three attempts, twice over, while waiting.
  fake_.Throttle("DescribeServices", 7, 1);
  EXPECT_EQ(Deploy(), kExitSuccess) << log_;
  EXPECT_NE(log_.find("still waiting"), std::string::npos) << log_;
}

TEST_F(DeployTest, NothingChangedRegistersNothing) {
  options_.image = "repo/app:1";
  EXPECT_EQ(Deploy(), kExitSuccess);
  EXPECT_EQ(Result()["status"], "unchanged");
  EXPECT_EQ(Result()["task_definition_arn"], v1_);
  EXPECT_EQ(Count("RegisterTaskDefinition"), 0u);
  EXPECT_EQ(Count("UpdateService"), 0u);
}

TEST_F(DeployTest, RegisterOnlyAndEnvironmentEdits) {
  options_.env = {{"MODE", "b"}, {"NEW", "1"}};
  options_.register_only = true;
  EXPECT_EQ(Deploy(), kExitSuccess);
  EXPECT_EQ(Result()["status"], "registered");
  EXPECT_EQ(Result()["task_definition_arn"], kV2);
  EXPECT_EQ(Count("UpdateService"), 0u);
  EXPECT_EQ(fake_.Requests("RegisterTaskDefinition")[0]["containerDefinitions"][0]["environment"],
            json::parse(R"([{"name":"MODE","value":"b"},{"name":"NEW","value":"1"}])"));
}

TEST_F(DeployTest, DryRunPrintsTheDiffAndRegistersNothing) {
  options_.image = "repo/app:2";
  options_.dry_run = true;
  EXPECT_EQ(Deploy(), kExitSuccess);
  EXPECT_EQ(Result()["status"], "dry_run");
  EXPECT_EQ(Result()["changed"], true);
  EXPECT_NE(diff_.find("repo/app:2"), std::string::npos) << diff_;
  EXPECT_EQ(Count("RegisterTaskDefinition"), 0u);
}

TEST_F(DeployTest, AFailedRolloutIsRolledBack) {
  fake_.SetRolloutScripts({Script{{"IN_PROGRESS", "FAILED"}}, Script{{"IN_PROGRESS", "COMPLETED"}}});
  options_.image = "repo/app:broken";
  EXPECT_EQ(Deploy(), kExitFailure);
  EXPECT_EQ(Result()["status"], "rolled_back");
  EXPECT_NE(Result()["error"].get<std::string>().find("circuit breaker"), std::string::npos);
  auto updates = fake_.Requests("UpdateService");
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1]["taskDefinition"], v1_);
  EXPECT_EQ(fake_.Service("prod", "web")["taskDefinition"], v1_);
}

TEST_F(DeployTest, NoRollbackLeavesTheFailure) {
  fake_.SetRolloutScripts({Script{{"IN_PROGRESS", "FAILED"}}});
  options_.image = "repo/app:broken";
  options_.rollback = false;
  EXPECT_EQ(Deploy(), kExitFailure);
  EXPECT_EQ(Result()["status"], "failed");
  EXPECT_EQ(Count("UpdateService"), 1u);
}

TEST_F(DeployTest, EcssOwnRollbackIsAFailureNeverASuccess) {
  // The circuit breaker rolls back and the rollback completes: the service is healthy, but
  // not on what we deployed.
  fake_.SetRolloutScripts({Script{{"IN_PROGRESS", "ROLLBACK", "COMPLETED"}}});
  options_.image = "repo/app:broken";
  EXPECT_EQ(Deploy(), kExitFailure);
  EXPECT_EQ(Result()["status"], "rolled_back");
  EXPECT_EQ(Count("UpdateService"), 1u);  // ECS rolled back; we did not need to
}

// ECS is eventually consistent: right after UpdateService, DescribeServices can still show the
// old deployment as the only PRIMARY one. Before the fix that read as ECS's rollback.
TEST_F(DeployTest, AStaleDescriptionAfterTheUpdateIsNotARollback) {
  fake_.StaleServiceReads(3);
  fake_.SetRolloutScripts({Script{{"IN_PROGRESS", "COMPLETED"}}});
  options_.image = "repo/app:2";
  EXPECT_EQ(Deploy(), kExitSuccess) << log_;
  EXPECT_EQ(Result()["status"], "completed");
  EXPECT_NE(log_.find("ECS does not list deployment ecs-svc/2 yet"), std::string::npos) << log_;
  EXPECT_GE(Count("DescribeServices"), 1u + 3u + 2u);  // the first, three stale, two steps
}

TEST_F(DeployTest, ADeploymentNeverListedFallsBackToWhatThePrimarySaysAfterTheGrace) {
  fake_.StaleServiceReads(1000000);
  options_.image = "repo/app:2";
  options_.visibility_grace = milliseconds(20);
  EXPECT_EQ(Deploy(), kExitFailure);
  EXPECT_EQ(Result()["status"], "rolled_back");
}

// UpdateService refuses a task definition on these controllers: fail before registering.
TEST_F(DeployTest, CodeDeployAndExternalControllersAreRefusedBeforeRegistering) {
  for (std::string controller : {"CODE_DEPLOY", "EXTERNAL"}) {
    SCOPED_TRACE(controller);
    fake_.SetDeploymentController("prod", "web", controller);
    options_.image = "repo/app:2";
    EXPECT_EQ(Deploy(), kExitFailure);
    EXPECT_EQ(Result()["status"], "failed");
    std::string error = Result()["error"];
    EXPECT_NE(error.find("uses the " + controller + " deployment controller"), std::string::npos)
        << error;
    EXPECT_NE(error.find("--register-only"), std::string::npos) << error;
    EXPECT_EQ(Count("RegisterTaskDefinition"), 0u);
    EXPECT_EQ(Count("UpdateService"), 0u);
  }
  options_.register_only = true;  // registering a revision for CodeDeploy is fine
  EXPECT_EQ(Deploy(), kExitSuccess) << log_;
  EXPECT_EQ(Result()["status"], "registered");
}

TEST_F(DeployTest, ATimeoutRollsBack) {
  fake_.SetRolloutScripts({Script{std::vector<std::string>(100000, "IN_PROGRESS")},
                           Script{{"COMPLETED"}}});
  options_.image = "repo/app:slow";
  options_.timeout = milliseconds(50);
  EXPECT_EQ(Deploy(), kExitFailure);
  EXPECT_EQ(Result()["status"], "rolled_back");
  EXPECT_NE(Result()["error"].get<std::string>().find("--timeout 50ms"), std::string::npos);
}

TEST_F(DeployTest, AnInterruptLeavesTheDeploymentRunning) {
  fake_.SetRolloutScripts({Script{{"IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS"}}});
  options_.image = "repo/app:2";
  interrupted_ = true;
  EXPECT_EQ(Deploy(), kExitInterrupted);
  EXPECT_EQ(Result()["status"], "interrupted");
  EXPECT_EQ(Count("UpdateService"), 1u);
  EXPECT_NE(log_.find("the deployment goes on"), std::string::npos) << log_;
}

TEST_F(DeployTest, AnInterruptBeforeTheUpdateDeploysNothing) {
  options_.image = "repo/app:2";
  deps_.interrupted = [] { return true; };
  EXPECT_EQ(Deploy(), kExitInterrupted);
  EXPECT_EQ(Result()["status"], "interrupted");
  EXPECT_EQ(Count("RegisterTaskDefinition"), 0u);
  EXPECT_EQ(Count("UpdateService"), 0u);
}

TEST_F(DeployTest, AnInterruptDuringTheRollbackSaysItGoesOn) {
  fake_.SetRolloutScripts({Script{{"FAILED"}}, Script{std::vector<std::string>(1000, "IN_PROGRESS")}});
  options_.image = "repo/app:broken";
  int sleeps = 0;
  deps_.sleep = [&](milliseconds) { return ++sleeps < 3; };
  EXPECT_EQ(Deploy(), kExitInterrupted);
  EXPECT_EQ(Result()["status"], "interrupted");
  EXPECT_NE(Result()["error"].get<std::string>().find("goes on without us"), std::string::npos);
  EXPECT_EQ(Count("UpdateService"), 2u);
}

TEST_F(DeployTest, SeveralContainersNeedContainer) {
  json two = kWeb;
  two["containerDefinitions"].push_back({{"name", "proxy"}, {"image", "envoy"}});
  std::string arn = fake_.AddTaskDefinition(two);
  fake_.AddService("prod", "two", arn);
  options_.service = "two";
  options_.image = "repo/app:2";
  EXPECT_EQ(Deploy(), kExitFailure);
  EXPECT_NE(Result()["error"].get<std::string>().find("--container"), std::string::npos);
  options_.container = "app";
  EXPECT_EQ(Deploy(), kExitSuccess) << log_;
  EXPECT_EQ(fake_.Requests("RegisterTaskDefinition")[0]["containerDefinitions"][1]["image"], "envoy");
}

TEST_F(DeployTest, KeepRevisionsDeregistersOlderOnes) {
  for (int i = 0; i < 4; ++i) fake_.AddTaskDefinition(kWeb);  // web:2 .. web:5
  options_.image = "repo/app:6";
  options_.keep_revisions = 2;
  EXPECT_EQ(Deploy(), kExitSuccess) << log_;
  // web:6 is new, web:5 is kept, web:1 is the previous (a rollback target): 2, 3, 4 go.
  EXPECT_EQ(Result()["deregistered"].size(), 3u) << Result().dump();
  std::vector<std::string> active = fake_.TaskDefinitions("ACTIVE");
  EXPECT_EQ(active.size(), 3u) << ::testing::PrintToString(active);
}

TEST_F(DeployTest, KeepRevisionsWithNoWaitKeepsTheRollbackTarget) {
  for (int i = 0; i < 3; ++i) fake_.AddTaskDefinition(kWeb);  // web:2 .. web:4
  options_.image = "repo/app:5";
  options_.keep_revisions = 1;
  options_.wait = false;
  EXPECT_EQ(Deploy(), kExitSuccess) << log_;
  EXPECT_EQ(Result()["status"], "started");
  // web:5 is new and web:1 the previous: 2, 3 and 4 go.
  EXPECT_EQ(Result()["deregistered"].size(), 3u) << Result().dump();
  EXPECT_EQ(fake_.TaskDefinitions("ACTIVE").size(), 2u);
}

TEST_F(DeployTest, KeepRevisionsSparesWhatTheClustersTasksAndOtherServicesRun) {
  for (int i = 0; i < 4; ++i) fake_.AddTaskDefinition(kWeb);  // web:2 .. web:5
  const std::string prefix = v1_.substr(0, v1_.rfind(':') + 1);
  fake_.AddService("prod", "web-canary", prefix + "2");
  RunTaskRequest run;
  run.cluster = "prod";
  run.task_definition = "web:3";
  run.launch_type = "EC2";
  auto started = ecs_->RunTask(run);
  ASSERT_TRUE(started.ok() && started->tasks.size() == 1) << started.error().ToString();
  options_.image = "repo/app:6";
  options_.keep_revisions = 1;
  EXPECT_EQ(Deploy(), kExitSuccess) << log_;
  // web:6 new, web:1 previous, web:2 web-canary's, web:3 a running task's: only 4 and 5 go.
  EXPECT_EQ(Result()["deregistered"], json::array({prefix + "5", prefix + "4"})) << Result().dump();
  EXPECT_NE(log_.find("keeping web:3: in use by task "), std::string::npos) << log_;
  EXPECT_NE(log_.find("keeping web:2: in use by service web-canary"), std::string::npos) << log_;
  EXPECT_EQ(Count("ListServices"), 1u);
  EXPECT_EQ(Count("ListTasks"), 1u);
}

TEST_F(DeployTest, AMissingServiceIsOneClearLine) {
  options_.service = "nope";
  options_.image = "x";
  EXPECT_EQ(Deploy(), kExitFailure);
  EXPECT_EQ(log_, "no ECS service named nope in cluster prod (check --service, --cluster and --region)\n");
}

TEST_F(DeployTest, AWholeTaskDefinitionDocument) {
  json document = kWeb;
  document["containerDefinitions"][0]["image"] = "repo/app:from-file";
  options_.registration = document;
  EXPECT_EQ(Deploy(), kExitSuccess) << log_;
  EXPECT_EQ(fake_.Requests("RegisterTaskDefinition")[0]["containerDefinitions"][0]["image"],
            "repo/app:from-file");
}

}  // namespace
}  // namespace sluice
