// sluice-deploy, the real binary. Against moto: a new image registered and the service pointed at
// it (--no-wait, since moto's deployments never complete), nothing registered when nothing
// changed, --task-definition files with ${VAR}, --dry-run's diff, multi-container task
// definitions, and the errors a user can cause. Against FakeEcs (which scripts rollouts, see
// tests/peers/fake_ecs.h): a completed rollout with its service events, rollback after a
// FAILED rollout, ECS's circuit breaker, --keep-revisions, and SIGTERM during the wait.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "sluice/deploy/task_definition_edit.h"
#include "tests/peers/aws_realism_proxy.h"
#include "tests/peers/ecs_moto.h"
#include "tests/peers/fake_ecs.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;
using Script = testing::FakeEcs::RolloutScript;
using testing::AwsEnv;
using testing::Contains;
using testing::CountLines;

// One sluice-deploy run (testing::ToolRun) with what these tests read of it: the whole output for
// failure messages and the single result line.
class DeployRun : public testing::ToolRun {
 public:
  DeployRun(const std::string& dir, const std::map<std::string, std::string>& env,
            const std::vector<std::string>& args)
      : ToolRun("sluice-deploy", dir, env, args) {}

  std::optional<int> Wait(int timeout_ms = 60000) { return ToolRun::Wait(timeout_ms); }
  std::string Output() const { return "stdout:\n" + Stdout() + "stderr:\n" + Stderr(); }

  // The single result line; null (and a test failure) when there is not exactly one JSON line.
  json Result() const {
    std::string out = Stdout();
    EXPECT_EQ(CountLines(out), 1u) << Output();
    json j = json::parse(out, nullptr, false);
    EXPECT_TRUE(!j.is_discarded() && j.is_object()) << "not one JSON object:\n" << Output();
    return j.is_discarded() ? json() : j;
  }
};

std::string ImageOf(const json& definition, const std::string& container) {
  for (const json& c : definition.value("containerDefinitions", json::array())) {
    if (c.value("name", "") == container) return c.value("image", "");
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Against moto. Each test gets a cluster, family and service of its own. moto never completes a
// deployment (see ../shared/notes/local-peers.md), so runs use --no-wait, --register-only or
// --dry-run; waiting is covered against FakeEcs below. Task definitions use bridge networking
// and give every container memory, as the other moto tests do.
class DeployMotoTest : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    ASSERT_NE(moto_, nullptr) << "moto_server did not start";
    dir_ = testing::MakeTempDir("sluice-deploy-moto-");
    int n = ++counter_;
    cluster_ = "deploy-" + std::to_string(n);
    family_ = "web-" + std::to_string(n);
    service_ = "svc-" + std::to_string(n);
    ASSERT_TRUE(ecs_.Start(*moto_, cluster_));
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  // Only "app" is essential; every container has MODE=a in its environment.
  static json Container(const std::string& name, const std::string& image) {
    json container = testing::EcsMoto::Container(name, image);
    container["essential"] = name == "app";
    container["environment"] = json::array({{{"name", "MODE"}, {"value", "a"}}});
    return container;
  }

  // Registers the family's next revision with these containers (tagged, so the tags' trip
  // through the new revision is covered too) and returns its ARN.
  std::string Register(const json& containers) {
    return ecs_.RegisterTaskDefinition(family_, containers,
                                       json::array({{{"key", "team"}, {"value", "web"}}}));
  }

  void CreateService(const std::string& task_definition) {
    ecs_.Call("CreateService", {{"cluster", cluster_},
                                {"serviceName", service_},
                                {"taskDefinition", task_definition},
                                {"desiredCount", 1},
                                {"launchType", "EC2"}});
  }

  // The usual set-up: revision 1 with one container "app" on repo/app:1, the service on it.
  std::string RegisterAndCreateService() {
    std::string arn = Register(json::array({Container("app", "repo/app:1")}));
    CreateService(arn);
    return arn;
  }

  std::vector<std::string> Revisions(const std::string& status = "ACTIVE") {
    std::vector<std::string> arns;
    json out = ecs_.Call("ListTaskDefinitions", {{"familyPrefix", family_}, {"status", status}});
    for (const json& arn : out.value("taskDefinitionArns", json::array())) arns.push_back(arn);
    return arns;
  }

  json Service() {
    json out = ecs_.Call("DescribeServices", {{"cluster", cluster_}, {"services", {service_}}});
    auto services = out.value("services", json::array());
    EXPECT_EQ(services.size(), 1u) << out;
    return services.empty() ? json::object() : services[0];
  }

  json Definition(const std::string& reference) {
    return ecs_.Call("DescribeTaskDefinition",
                     {{"taskDefinition", reference}, {"include", {"TAGS"}}});
  }

  DeployRun Run(std::vector<std::string> args, std::map<std::string, std::string> extra_env = {}) {
    std::map<std::string, std::string> env = AwsEnv(dir_, *moto_);
    for (const auto& [k, v] : extra_env) env[k] = v;
    return DeployRun(dir_, env, args);
  }

  std::string Arn(int revision) const {
    return "arn:aws:ecs:us-east-1:" + moto_->account_id() + ":task-definition/" + family_ + ":" +
           std::to_string(revision);
  }

  static inline int counter_ = 0;
  std::string dir_, cluster_, family_, service_;
  testing::EcsMoto ecs_;
};

// 1. A new image with --no-wait: revision 2 with that image (and the rest of revision 1, tags
// included), the service on it, and the result names both revisions.
TEST_F(DeployMotoTest, NewImageRegistersARevisionAndPointsTheServiceAtIt) {
  std::string v1 = RegisterAndCreateService();
  ASSERT_EQ(v1, Arn(1));
  DeployRun run = Run({"--cluster", cluster_, "--service", service_, "--image", "repo/app:2",
                       "--no-wait"});
  ASSERT_EQ(run.Wait(), 0) << run.Output();
  json r = run.Result();
  EXPECT_EQ(r["status"], "started") << r;
  EXPECT_EQ(r["cluster"], cluster_);
  EXPECT_EQ(r["service"], service_);
  EXPECT_EQ(r["task_definition_arn"], Arn(2)) << r;
  EXPECT_EQ(r["previous_task_definition_arn"], v1) << r;
  EXPECT_TRUE(r["deployment_id"].is_string()) << r;
  EXPECT_TRUE(r["seconds"].is_number()) << r;
  EXPECT_FALSE(r.contains("error")) << r;
  EXPECT_TRUE(Contains(run.Stderr(), "registered " + Arn(2))) << run.Stderr();

  EXPECT_EQ(Revisions().size(), 2u);
  json v2 = Definition(Arn(2));
  EXPECT_EQ(ImageOf(v2["taskDefinition"], "app"), "repo/app:2") << v2;
  // Everything else came over from revision 1: compare as registration documents.
  json before = RegistrationFrom(Definition(v1)["taskDefinition"], json::array());
  json after = RegistrationFrom(v2["taskDefinition"], json::array());
  after["containerDefinitions"][0]["image"] = "repo/app:1";
  EXPECT_EQ(after, before) << DiffJson(before, after);
  EXPECT_EQ(v2["tags"], json::parse(R"([{"key": "team", "value": "web"}])")) << v2;
  // moto accepts read-only fields in RegisterTaskDefinition; had any come through, moto would
  // still have assigned its own ARN and revision, so check those are the ones expected.
  EXPECT_EQ(v2["taskDefinition"]["revision"], 2);
  EXPECT_EQ(v2["taskDefinition"]["status"], "ACTIVE");

  json service = Service();
  EXPECT_EQ(service["taskDefinition"], Arn(2)) << service;
}

// The same deploy through AwsRealismProxy: every request body (DescribeServices,
// DescribeTaskDefinition, RegisterTaskDefinition, UpdateService, ...) is one AWS accepts, by
// botocore's models. moto accepts read-only members in RegisterTaskDefinition; AWS does not.
TEST_F(DeployMotoTest, ThroughTheRealismLayerEveryRequestIsOneAwsAccepts) {
  RegisterAndCreateService();
  testing::AwsRealismProxy proxy(moto_->endpoint());
  DeployRun run = Run({"--cluster", cluster_, "--service", service_, "--image", "repo/app:3",
                       "--no-wait"},
                      {{"AWS_ENDPOINT_URL", proxy.endpoint()}});
  ASSERT_EQ(run.Wait(), 0) << run.Output();
  EXPECT_EQ(run.Result()["task_definition_arn"], Arn(2));
  std::vector<std::string> operations;
  for (const auto& call : proxy.JsonCalls()) operations.push_back(call.target.substr(call.target.find('.') + 1));
  EXPECT_NE(std::find(operations.begin(), operations.end(), "RegisterTaskDefinition"), operations.end());
  EXPECT_NE(std::find(operations.begin(), operations.end(), "UpdateService"), operations.end());
  EXPECT_EQ(testing::BotocoreProblems(proxy.JsonCalls()), std::vector<std::string>{});
  // The guard itself: a body AWS would refuse is reported, not passed.
  std::vector<std::string> refused = testing::BotocoreProblems(
      {{"AmazonEC2ContainerServiceV20141113.RunTask", R"({"taskDefinition":"t","count":"3"})"}});
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].find("count"), std::string::npos) << refused[0];
}

// 2. The image the service already runs: nothing registered, the service left alone.
TEST_F(DeployMotoTest, SameImageAgainIsUnchanged) {
  std::string v1 = RegisterAndCreateService();
  DeployRun first = Run({"--cluster", cluster_, "--service", service_, "--image", "repo/app:2",
                         "--no-wait"});
  ASSERT_EQ(first.Wait(), 0) << first.Output();
  ASSERT_EQ(first.Result()["status"], "started");
  size_t revisions = Revisions().size();
  ASSERT_EQ(revisions, 2u);

  DeployRun again = Run({"--cluster", cluster_, "--service", service_, "--image", "repo/app:2",
                         "--no-wait"});
  ASSERT_EQ(again.Wait(), 0) << again.Output();
  json r = again.Result();
  EXPECT_EQ(r["status"], "unchanged") << r;
  EXPECT_EQ(r["task_definition_arn"], Arn(2)) << r;
  EXPECT_EQ(r["previous_task_definition_arn"], Arn(2)) << r;
  EXPECT_EQ(Revisions().size(), revisions);
  EXPECT_EQ(Service()["taskDefinition"], Arn(2));

  // The same with --env MODE=a (already so) and with --register-only.
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--env", "MODE=a", "--no-wait"},
        std::vector<std::string>{"--image", "repo/app:2", "--register-only"}}) {
    std::vector<std::string> args = {"--cluster", cluster_, "--service", service_};
    args.insert(args.end(), extra.begin(), extra.end());
    DeployRun run = Run(args);
    SCOPED_TRACE(::testing::PrintToString(args));
    ASSERT_EQ(run.Wait(), 0) << run.Output();
    EXPECT_EQ(run.Result()["status"], "unchanged");
  }
  EXPECT_EQ(Revisions().size(), revisions);
}

// 3. --task-definition FILE: ${IMAGE} comes from the environment; an unset ${NOPE} is a usage
// error naming it, before anything is registered.
TEST_F(DeployMotoTest, TaskDefinitionFileWithVariables) {
  std::string v1 = RegisterAndCreateService();
  std::string file = dir_ + "/taskdef.json";
  testing::WriteFile(file, R"({
  "family": ")" + family_ + R"(",
  "networkMode": "bridge",
  "containerDefinitions": [
    {"name": "app", "image": "${IMAGE}", "memory": 256, "essential": true,
     "environment": [{"name": "PRICE", "value": "$$5"}]}
  ]
})");

  // --register-only: registered, the service untouched.
  DeployRun registered = Run({"--cluster", cluster_, "--service", service_, "--task-definition",
                              file, "--register-only"},
                             {{"IMAGE", "repo/app:from-file"}});
  ASSERT_EQ(registered.Wait(), 0) << registered.Output();
  json r = registered.Result();
  EXPECT_EQ(r["status"], "registered") << r;
  EXPECT_EQ(r["task_definition_arn"], Arn(2)) << r;
  EXPECT_EQ(Service()["taskDefinition"], v1);
  json v2 = Definition(Arn(2))["taskDefinition"];
  EXPECT_EQ(ImageOf(v2, "app"), "repo/app:from-file") << v2;
  EXPECT_EQ(v2["containerDefinitions"][0]["memory"], 256) << v2;
  EXPECT_EQ(v2["containerDefinitions"][0]["environment"],
            json::parse(R"([{"name": "PRICE", "value": "$5"}])"))
      << v2;

  // --no-wait: registered and started.
  DeployRun started = Run({"--cluster", cluster_, "--service", service_, "--task-definition",
                           file, "--no-wait"},
                          {{"IMAGE", "repo/app:from-file-2"}});
  ASSERT_EQ(started.Wait(), 0) << started.Output();
  r = started.Result();
  EXPECT_EQ(r["status"], "started") << r;
  EXPECT_EQ(r["task_definition_arn"], Arn(3)) << r;
  EXPECT_EQ(r["previous_task_definition_arn"], v1) << r;
  EXPECT_EQ(ImageOf(Definition(Arn(3))["taskDefinition"], "app"), "repo/app:from-file-2");
  EXPECT_EQ(Service()["taskDefinition"], Arn(3));

  // An unknown variable: exit 2, one line naming it; nothing registered.
  std::string bad = dir_ + "/bad.json";
  testing::WriteFile(bad, R"({"family": ")" + family_ + R"(", "containerDefinitions": [
  {"name": "app", "image": "${IMAGE}", "memory": 128,
   "environment": [{"name": "X", "value": "${NOPE}"}]}]})");
  DeployRun unknown = Run({"--cluster", cluster_, "--service", service_, "--task-definition",
                           bad, "--no-wait"},
                          {{"IMAGE", "repo/app:3"}});
  EXPECT_EQ(unknown.Wait(), 2) << unknown.Output();
  std::string err = unknown.Stderr();
  EXPECT_EQ(CountLines(err), 1u) << err;
  EXPECT_TRUE(Contains(err, "${NOPE}")) << err;
  EXPECT_TRUE(Contains(err, "containerDefinitions[0].environment[0].value")) << err;
  EXPECT_TRUE(unknown.Stdout().empty()) << unknown.Output();
  EXPECT_EQ(Revisions().size(), 3u);
}

// 4. --dry-run: the diff on stderr shows the image change; nothing registered or updated.
TEST_F(DeployMotoTest, DryRunPrintsTheDiffAndRegistersNothing) {
  std::string v1 = RegisterAndCreateService();
  DeployRun run = Run({"--cluster", cluster_, "--service", service_, "--image", "repo/app:9",
                       "--env", "MODE=b", "--dry-run"});
  ASSERT_EQ(run.Wait(), 0) << run.Output();
  json r = run.Result();
  EXPECT_EQ(r["status"], "dry_run") << r;
  EXPECT_EQ(r["changed"], true) << r;
  EXPECT_EQ(r["task_definition_arn"], v1) << r;
  std::string err = run.Stderr();
  EXPECT_TRUE(Contains(err, "- ") && Contains(err, "\"image\": \"repo/app:1\"")) << err;
  EXPECT_TRUE(Contains(err, "+ ") && Contains(err, "\"image\": \"repo/app:9\"")) << err;
  EXPECT_TRUE(Contains(err, "\"value\": \"b\"")) << err;
  EXPECT_EQ(Revisions().size(), 1u);
  EXPECT_EQ(Service()["taskDefinition"], v1);

  // Nothing to change: the dry run says so.
  DeployRun same = Run({"--cluster", cluster_, "--service", service_, "--image", "repo/app:1",
                        "--dry-run"});
  ASSERT_EQ(same.Wait(), 0) << same.Output();
  EXPECT_EQ(same.Result()["changed"], false);
  EXPECT_TRUE(Contains(same.Stderr(), "no change to " + v1)) << same.Stderr();
}

// 5. Two containers: --image needs --container; with it, only that container changes.
TEST_F(DeployMotoTest, MultiContainerTaskDefinitionNeedsContainer) {
  std::string v1 = Register(json::array({Container("app", "repo/app:1"), Container("proxy", "repo/proxy:1")}));
  CreateService(v1);

  DeployRun run = Run({"--cluster", cluster_, "--service", service_, "--image", "repo/app:2",
                       "--no-wait"});
  EXPECT_EQ(run.Wait(), 1) << run.Output();
  std::string err = run.Stderr();
  EXPECT_EQ(CountLines(err), 1u) << err;
  EXPECT_TRUE(Contains(err, "--container")) << err;
  EXPECT_TRUE(Contains(err, "app, proxy")) << err;
  json r = run.Result();
  EXPECT_EQ(r["status"], "failed") << r;
  EXPECT_TRUE(Contains(r.value("error", ""), "--container")) << r;
  EXPECT_EQ(Revisions().size(), 1u);

  DeployRun unknown = Run({"--cluster", cluster_, "--service", service_, "--container", "db",
                           "--image", "repo/db:2", "--no-wait"});
  EXPECT_EQ(unknown.Wait(), 1) << unknown.Output();
  EXPECT_TRUE(Contains(unknown.Stderr(), "no container named db")) << unknown.Stderr();

  DeployRun proxy = Run({"--cluster", cluster_, "--service", service_, "--container", "proxy",
                         "--image", "repo/proxy:2", "--no-wait"});
  ASSERT_EQ(proxy.Wait(), 0) << proxy.Output();
  EXPECT_EQ(proxy.Result()["status"], "started");
  json v2 = Definition(Arn(2))["taskDefinition"];
  EXPECT_EQ(ImageOf(v2, "app"), "repo/app:1") << v2;
  EXPECT_EQ(ImageOf(v2, "proxy"), "repo/proxy:2") << v2;
  EXPECT_EQ(Service()["taskDefinition"], Arn(2));
}

// 7. A missing service or cluster: exit 1, one line, a failed result. No --cluster: exit 2.
TEST_F(DeployMotoTest, MissingServiceOrClusterAndUsageErrors) {
  RegisterAndCreateService();
  struct Case {
    std::vector<std::string> args;
    std::string in_stderr;
  };
  for (const Case& c : std::vector<Case>{
           {{"--cluster", cluster_, "--service", "no-such-service"},
            "no ECS service named no-such-service in cluster " + cluster_},
           // The cluster is named, as sluice-trigger and sluice-run-once name it.
           {{"--cluster", "no-such-cluster", "--service", service_},
            "no ECS cluster named no-such-cluster"},
       }) {
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--image", "repo/app:2", "--no-wait"});
    SCOPED_TRACE(::testing::PrintToString(args));
    DeployRun run = Run(args);
    EXPECT_EQ(run.Wait(), 1) << run.Output();
    std::string err = run.Stderr();
    EXPECT_EQ(CountLines(err), 1u) << err;
    EXPECT_EQ(err.rfind("sluice-deploy: ", 0), 0u) << err;
    EXPECT_TRUE(Contains(err, c.in_stderr)) << err;
    json r = run.Result();
    EXPECT_EQ(r["status"], "failed") << r;
    EXPECT_TRUE(r["error"].is_string()) << r;
    EXPECT_TRUE(r["task_definition_arn"].is_null()) << r;
  }

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--service", service_, "--image", "repo/app:2"},                  // no --cluster
           {"--cluster", cluster_, "--image", "repo/app:2"},                  // no --service
           {"--cluster", cluster_, "--service", service_},                    // nothing to deploy
           {"--cluster", cluster_, "--service", service_, "--image", "x", "--timeout", "soon"},
           {"--cluster", cluster_, "--service", service_, "--image", "x", "--dry-run",
            "--register-only"},
           {"--cluster", cluster_, "--service", service_, "--env", "NOEQUALS"},
           {"--cluster", cluster_, "--service", service_, "--task-definition",
            dir_ + "/missing.json"},
       }) {
    SCOPED_TRACE(::testing::PrintToString(args));
    DeployRun run = Run(args);
    EXPECT_EQ(run.Wait(), 2) << run.Output();
    EXPECT_GE(CountLines(run.Stderr()), 1u) << run.Output();
    EXPECT_TRUE(run.Stdout().empty()) << run.Output();
  }
  EXPECT_EQ(Revisions().size(), 1u);
  EXPECT_EQ(Service()["taskDefinition"], Arn(1));
}

// ---------------------------------------------------------------------------------------------
// Against FakeEcs: what moto cannot do (rollouts that complete, fail or are rolled back). The
// binary polls DescribeServices after 2 s, 3 s, 4.5 s...; every poll moves the fake's rollout one
// step, so scripts are kept to two or three steps.
const json kWeb = json::parse(R"({"family": "web", "cpu": "256", "memory": "512",
  "containerDefinitions": [{"name": "app", "image": "repo/app:1", "essential": true,
                            "environment": [{"name": "MODE", "value": "a"}]}]})");

class DeployFakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-deploy-fake-");
    fake_.AddCluster("prod");
    v1_ = fake_.AddTaskDefinition(kWeb);
    fake_.AddService("prod", "web", v1_);
  }
  void TearDown() override {
    EXPECT_TRUE(fake_.Refusals().empty()) << ::testing::PrintToString(fake_.Refusals());
    testing::RemoveTree(dir_);
  }

  DeployRun Run(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--cluster", "prod", "--service", "web"};
    args.insert(args.end(), extra.begin(), extra.end());
    return DeployRun(dir_, AwsEnv(dir_, fake_.endpoint(), "AKIDEXAMPLE", "secret"), args);
  }

  size_t Count(const std::string& operation) const { return fake_.Requests(operation).size(); }

  static std::string Arn(int revision) {
    return "arn:aws:ecs:us-east-1:123456789012:task-definition/web:" + std::to_string(revision);
  }

  testing::FakeEcs fake_;
  std::string dir_, v1_;
};

// 8. A rollout that completes: exit 0, completed; the service's events on stderr; the
// registration carried none of DescribeTaskDefinition's read-only fields (FakeEcs refuses them).
TEST_F(DeployFakeTest, CompletedRollout) {
  fake_.SetRolloutScripts({Script{{"IN_PROGRESS", "COMPLETED"}}});
  DeployRun run = Run({"--image", "repo/app:2"});
  ASSERT_EQ(run.Wait(), 0) << run.Output();
  json r = run.Result();
  EXPECT_EQ(r["status"], "completed") << r;
  EXPECT_EQ(r["task_definition_arn"], Arn(2)) << r;
  EXPECT_EQ(r["previous_task_definition_arn"], v1_) << r;
  EXPECT_EQ(r["deployment_id"], "ecs-svc/2") << r;
  EXPECT_EQ(r["deregistered"], json::array()) << r;
  EXPECT_FALSE(r.contains("error")) << r;

  std::string err = run.Stderr();
  EXPECT_TRUE(Contains(err, "(service web) has started 1 tasks")) << err;
  EXPECT_TRUE(Contains(err, "(service web) has reached a steady state.")) << err;
  EXPECT_LT(err.find("has started 1 tasks"), err.find("has reached a steady state")) << err;

  auto registrations = fake_.Requests("RegisterTaskDefinition");
  ASSERT_EQ(registrations.size(), 1u);
  for (std::string_view field : kReadOnlyTaskDefinitionFields) {
    EXPECT_FALSE(registrations[0].contains(std::string(field))) << field;
  }
  EXPECT_EQ(registrations[0]["containerDefinitions"][0]["image"], "repo/app:2");
  EXPECT_EQ(registrations[0]["cpu"], "256");
  auto updates = fake_.Requests("UpdateService");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0]["taskDefinition"], Arn(2));
  EXPECT_FALSE(updates[0].contains("forceNewDeployment")) << updates[0];
  EXPECT_EQ(fake_.Service("prod", "web")["taskDefinition"], Arn(2));
  EXPECT_EQ(Count("DeregisterTaskDefinition"), 0u);
}

// 9. The rollout FAILS: sluice-deploy rolls back to the previous revision and waits for that.
TEST_F(DeployFakeTest, FailedRolloutIsRolledBack) {
  fake_.SetRolloutScripts({Script{{"IN_PROGRESS", "FAILED"}}, Script{{"COMPLETED"}}});
  DeployRun run = Run({"--image", "repo/app:2"});
  ASSERT_EQ(run.Wait(), 1) << run.Output();
  json r = run.Result();
  EXPECT_EQ(r["status"], "rolled_back") << r;
  EXPECT_EQ(r["task_definition_arn"], Arn(2)) << r;
  EXPECT_EQ(r["previous_task_definition_arn"], v1_) << r;
  EXPECT_TRUE(Contains(r.value("error", ""), "circuit breaker")) << r;

  auto updates = fake_.Requests("UpdateService");
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0]["taskDefinition"], Arn(2));
  EXPECT_EQ(updates[1]["taskDefinition"], v1_);
  json service = fake_.Service("prod", "web");
  EXPECT_EQ(service["taskDefinition"], v1_) << service;
  ASSERT_EQ(service["deployments"].size(), 1u) << service;
  EXPECT_EQ(service["deployments"][0]["rolloutState"], "COMPLETED");
  std::string err = run.Stderr();
  EXPECT_TRUE(Contains(err, "rolling back to " + v1_)) << err;
  EXPECT_TRUE(Contains(err, "rolled back to " + v1_)) << err;
}

// --no-rollback: the same failure is left as it is.
TEST_F(DeployFakeTest, FailedRolloutWithNoRollbackIsLeftAlone) {
  fake_.SetRolloutScripts({Script{{"FAILED"}}});
  DeployRun run = Run({"--image", "repo/app:2", "--no-rollback"});
  ASSERT_EQ(run.Wait(), 1) << run.Output();
  json r = run.Result();
  EXPECT_EQ(r["status"], "failed") << r;
  EXPECT_EQ(Count("UpdateService"), 1u);
  EXPECT_EQ(fake_.Service("prod", "web")["taskDefinition"], Arn(2));
}

// A rollout still IN_PROGRESS at --timeout is rolled back like a FAILED one.
TEST_F(DeployFakeTest, TimedOutRolloutIsRolledBack) {
  fake_.SetRolloutScripts(
      {Script{std::vector<std::string>(50, "IN_PROGRESS")}, Script{{"COMPLETED"}}});
  DeployRun run = Run({"--image", "repo/app:2", "--timeout", "1s"});
  ASSERT_EQ(run.Wait(), 1) << run.Output();
  json r = run.Result();
  EXPECT_EQ(r["status"], "rolled_back") << r;
  EXPECT_TRUE(Contains(r.value("error", ""), "not COMPLETED within --timeout 1s")) << r;
  auto updates = fake_.Requests("UpdateService");
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1]["taskDefinition"], v1_);
  EXPECT_EQ(fake_.Service("prod", "web")["taskDefinition"], v1_);
}

// 10. ECS's circuit breaker rolls back by itself: a failure, and no UpdateService of ours.
TEST_F(DeployFakeTest, CircuitBreakerRollbackIsAFailure) {
  fake_.SetRolloutScripts({Script{{"ROLLBACK", "COMPLETED"}}});
  DeployRun run = Run({"--image", "repo/app:2"});
  ASSERT_EQ(run.Wait(), 1) << run.Output();
  json r = run.Result();
  EXPECT_EQ(r["status"], "rolled_back") << r;
  EXPECT_TRUE(Contains(r.value("error", ""), "circuit breaker")) << r;
  EXPECT_EQ(Count("UpdateService"), 1u);
  EXPECT_EQ(fake_.Service("prod", "web")["taskDefinition"], v1_);
  EXPECT_TRUE(Contains(run.Stderr(), "ECS rolled the deployment back")) << run.Stderr();
  EXPECT_EQ(Count("DeregisterTaskDefinition"), 0u);
}

// 11. --keep-revisions 1 after a completed rollout: revisions 1..3 exist, the service runs 3,
// the deploy makes 4; 1 and 2 go, 3 (the previous one, the rollback target) and 4 stay.
TEST_F(DeployFakeTest, KeepRevisionsDeregistersOldOnesAfterSuccess) {
  fake_.AddTaskDefinition(kWeb);
  std::string v3 = fake_.AddTaskDefinition(kWeb);
  fake_.AddService("prod", "web", v3);
  fake_.SetRolloutScripts({Script{{"COMPLETED"}}});
  DeployRun run = Run({"--image", "repo/app:4", "--keep-revisions", "1"});
  ASSERT_EQ(run.Wait(), 0) << run.Output();
  json r = run.Result();
  EXPECT_EQ(r["status"], "completed") << r;
  EXPECT_EQ(r["task_definition_arn"], Arn(4)) << r;
  EXPECT_EQ(r["previous_task_definition_arn"], v3) << r;
  std::vector<std::string> deregistered;
  for (const json& arn : r.value("deregistered", json::array())) deregistered.push_back(arn);
  std::sort(deregistered.begin(), deregistered.end());
  EXPECT_EQ(deregistered, (std::vector<std::string>{Arn(1), Arn(2)})) << r;
  EXPECT_EQ(fake_.TaskDefinitions("ACTIVE"), (std::vector<std::string>{Arn(3), Arn(4)}));
  EXPECT_EQ(fake_.TaskDefinitions("INACTIVE"), (std::vector<std::string>{Arn(1), Arn(2)}));
  EXPECT_TRUE(Contains(run.Stderr(), "deregistered 2 old revision(s) of web")) << run.Stderr();
}

// --keep-revisions does nothing when the rollout did not complete.
TEST_F(DeployFakeTest, KeepRevisionsDoesNothingAfterAFailure) {
  fake_.AddTaskDefinition(kWeb);
  std::string v3 = fake_.AddTaskDefinition(kWeb);
  fake_.AddService("prod", "web", v3);
  fake_.SetRolloutScripts({Script{{"FAILED"}}, Script{{"COMPLETED"}}});
  DeployRun run = Run({"--image", "repo/app:4", "--keep-revisions", "1"});
  ASSERT_EQ(run.Wait(), 1) << run.Output();
  EXPECT_EQ(run.Result()["status"], "rolled_back");
  EXPECT_EQ(Count("DeregisterTaskDefinition"), 0u);
  EXPECT_EQ(fake_.TaskDefinitions("ACTIVE").size(), 4u);
}

// 12. SIGTERM while waiting: exit 130, interrupted, the deployment left going (no rollback).
TEST_F(DeployFakeTest, SigtermDuringTheWaitLeavesTheDeploymentGoing) {
  fake_.SetRolloutScripts({Script{std::vector<std::string>(50, "IN_PROGRESS")}});
  DeployRun run = Run({"--image", "repo/app:2"});
  // The first DescribeServices reads the service; the second is the wait's first poll.
  for (int i = 0; i < 1500 && Count("DescribeServices") < 2 && run.Running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(Count("DescribeServices"), 2u) << run.Output();
  run.Signal(SIGTERM);
  ASSERT_EQ(run.Wait(), 130) << run.Output();
  json r = run.Result();
  EXPECT_EQ(r["status"], "interrupted") << r;
  EXPECT_EQ(r["task_definition_arn"], Arn(2)) << r;
  EXPECT_EQ(r["deployment_id"], "ecs-svc/2") << r;
  EXPECT_TRUE(Contains(run.Stderr(), "the deployment goes on")) << run.Stderr();
  EXPECT_EQ(Count("UpdateService"), 1u);
  EXPECT_EQ(fake_.Service("prod", "web")["taskDefinition"], Arn(2));
}

}  // namespace
}  // namespace sluice
