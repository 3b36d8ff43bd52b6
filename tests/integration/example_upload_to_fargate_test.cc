// examples/upload-to-fargate/run.sh, run as its comment says, against moto with no ECS
// permission but those of its iam-policy.json:
//   - every upload under uploads/{user-id}/ (nested folders too) starts one task whose
//     environment carries the object's key (as moto describes the task), and nothing else does
//     (the objects already there, a file outside a user's prefix);
//   - a Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops both tools with
//     exit 130, the running task finishing within the grace period and the queued upload
//     recorded as cancelled; a restart replays it first and picks up what arrived meanwhile
//     from the state file, so every upload ends in exactly one task;
//   - a SIGTERM to the script alone (how ECS stops a task) stops it with exit 130 as well;
//   - a failing sluice-watch (no such bucket) or sluice-trigger (no such cluster) ends the run
//     with exit 1 rather than 0 or a hang.
// Its taskdef.json is checked to be a task definition ECS accepts.
// S3 is a second moto that checks no signatures: moto's own check fails every ListObjectsV2
// with a '/' in its prefix (the AWS CLI's too: werkzeug hands moto the query with %2F decoded),
// so the policy's S3 statement is not checked here.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>

#include "sluice/services/s3_client.h"
#include "tests/peers/ecs_moto.h"
#include "tests/peers/examples.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;
using testing::CountLines;
using testing::ReadFile;

class UploadToFargateExampleTest : public testing::MotoSuiteTest</*kVerifySignatures=*/true> {
 protected:
  void SetUp() override {
    MotoSuiteTest::SetUp();
    const int n = ++counter_;
    dir_ = testing::MakeTempDir("sluice-example-upload-");
    vars_ = {{"ACCOUNT_ID", moto_->account_id()},
             {"REGION", "us-east-1"},
             {"BUCKET", "example-uploads-" + std::to_string(n)},
             {"CLUSTER", "example-jobs-" + std::to_string(n)},
             {"IMAGE", moto_->account_id() + ".dkr.ecr.us-east-1.amazonaws.com/process-upload:1"}};
    ASSERT_TRUE(ecs_.Start(*moto_, vars_.at("CLUSTER")));
    json registered = ecs_.Call("RegisterTaskDefinition",
                                json::parse(testing::ExampleText("upload-to-fargate/taskdef.json", vars_)));
    EXPECT_EQ(registered["taskDefinition"].value("family", ""), "process-upload") << registered;
    // moto cannot run that awsvpc task definition (../shared/notes/local-peers.md): the tasks
    // run a bridge-mode revision of the same family, the latest.
    ASSERT_NE(ecs_.RegisterTaskDefinition(
                  "process-upload", json::array({testing::EcsMoto::Container("process", vars_.at("IMAGE"))})),
              "");

    s3_moto_ = testing::MotoServer::Start({});
    ASSERT_NE(s3_moto_, nullptr);
    auto s3 = S3Client::Make(s3_moto_->Context());
    ASSERT_TRUE(s3.ok());
    s3_ = std::move(*s3);
    ASSERT_TRUE(s3_->CreateBucket(bucket()).ok());
    ASSERT_TRUE(s3_->PutObject(bucket(), "uploads/u0/before.csv", "a,b\n").ok());

    Credentials user = testing::ExamplePolicyUser(*moto_, "upload-to-fargate-" + std::to_string(n),
                                                  "upload-to-fargate/iam-policy.json", vars_);
    env_ = testing::ExampleEnv(dir_, *moto_, user);
    env_["AWS_ENDPOINT_URL_S3"] = s3_moto_->endpoint();
    env_.insert({{"BUCKET", bucket()},
                 {"CLUSTER", vars_.at("CLUSTER")},
                 {"TASK_DEFINITION", "process-upload"},
                 {"INTERVAL", "1s"},
                 {"STATE", dir_ + "/uploads.state"},
                 {"RESULTS", dir_ + "/results.jsonl"}});
  }

  const std::string& bucket() const { return vars_.at("BUCKET"); }
  testing::ToolRun Start() {
    return testing::ToolRun(testing::ExamplePath("upload-to-fargate/run.sh"), dir_, env_, {}, {.in_dir = true});
  }
  std::vector<json> Results() const {
    std::vector<json> results;
    for (const std::string& line : testing::Lines(ReadFile(dir_ + "/results.jsonl"))) results.push_back(json::parse(line));
    return results;
  }
  bool WaitForResults(size_t n) {
    return testing::WaitFor([&] { return CountLines(ReadFile(dir_ + "/results.jsonl")) >= n; }, 90000);
  }

  static inline int counter_ = 0;
  std::string dir_;
  std::map<std::string, std::string> vars_, env_;
  testing::EcsMoto ecs_;
  std::unique_ptr<testing::MotoServer> s3_moto_;
  std::unique_ptr<S3Client> s3_;
};

TEST_F(UploadToFargateExampleTest, EveryUserUploadEndsInOneTaskWithItsKeyAcrossACtrlCAndARestart) {
  env_["MAX_PARALLEL"] = "1";  // so that uploads wait in line, to be cancelled by the Ctrl-C
  std::string first_stderr;
  {
    testing::ToolRun run = Start();
    ASSERT_TRUE(testing::WaitUntilWatching(run)) << run.Stderr();
    ASSERT_TRUE(s3_->PutObject(bucket(), "uploads/u1/a.csv", "a,b\n1,2\n").ok());
    ASSERT_TRUE(s3_->PutObject(bucket(), "uploads/u2/2024/05/b.csv", "a,b\n3,4\n").ok());
    ASSERT_TRUE(s3_->PutObject(bucket(), "uploads/u3/c.csv", "a,b\n5,6\n").ok());
    ASSERT_TRUE(s3_->PutObject(bucket(), "uploads/stray.txt", "no user").ok());
    ASSERT_TRUE(WaitForResults(1)) << run.Stderr();
    run.SignalGroup(SIGINT);  // a terminal's Ctrl-C
    EXPECT_EQ(run.ExitCode(), 130) << run.Stderr();
    EXPECT_EQ(run.Stderr().find("AccessDenied"), std::string::npos) << run.Stderr();
    first_stderr = run.Stderr();
  }
  std::map<std::string, int> status_count;
  for (const json& result : Results()) ++status_count[result["status"].get<std::string>()];
  EXPECT_EQ(status_count, (std::map<std::string, int>{{"succeeded", 2}, {"cancelled", 1}}))
      << ReadFile(dir_ + "/results.jsonl") << first_stderr;

  // Arrives while nothing runs: the restart finds it through the state file, after the replay.
  ASSERT_TRUE(s3_->PutObject(bucket(), "uploads/u1/later.csv", "a,b\n7,8\n").ok());
  {
    testing::ToolRun run = Start();
    ASSERT_TRUE(WaitForResults(5)) << run.Stderr();
    run.Signal(SIGTERM);  // to the script alone, as ECS stops a task
    EXPECT_EQ(run.ExitCode(), 130) << run.Stderr();
  }

  std::map<std::string, int> succeeded;  // key -> how many tasks succeeded for it
  for (const json& result : Results()) {
    if (result["status"] != "succeeded") continue;
    const std::string key = result["event"]["key"];
    ++succeeded[key];
    EXPECT_EQ(result["exit_code"], 0);
    json described = ecs_.Call("DescribeTasks", {{"cluster", vars_.at("CLUSTER")}, {"tasks", {result["task_arn"]}}});
    ASSERT_EQ(described["tasks"].size(), 1u) << described;
    const json& task = described["tasks"][0];
    EXPECT_EQ(testing::EcsMoto::TaskEnv(task, "INPUT_KEY"), key) << task;
    EXPECT_EQ(testing::EcsMoto::TaskEnv(task, "INPUT_BUCKET"), bucket()) << task;
    EXPECT_EQ(testing::EcsMoto::TaskEnv(task, "INPUT_ETAG"), result["event"]["etag"]) << task;
    EXPECT_EQ(task.value("startedBy", ""), "upload-to-fargate") << task;
  }
  EXPECT_EQ(succeeded, (std::map<std::string, int>{{"uploads/u1/a.csv", 1},
                                                    {"uploads/u2/2024/05/b.csv", 1},
                                                    {"uploads/u3/c.csv", 1},
                                                    {"uploads/u1/later.csv", 1}}))
      << ReadFile(dir_ + "/results.jsonl");
  EXPECT_EQ(ecs_.ListTasks().size(), 4u);
}

TEST_F(UploadToFargateExampleTest, AFailingWatchOrTriggerEndsTheRunWithExit1) {
  {
    env_["BUCKET"] = "no-such-bucket-here";
    testing::ToolRun run = Start();
    EXPECT_EQ(run.ExitCode(), 1) << run.Stderr();
    EXPECT_NE(run.Stderr().find("no-such-bucket-here"), std::string::npos) << run.Stderr();
  }
  {
    env_["BUCKET"] = bucket();
    env_["CLUSTER"] = "no-such-cluster";
    testing::ToolRun run = Start();
    std::optional<int> code = run.Wait(20000);
    ASSERT_TRUE(code.has_value()) << "still running with sluice-trigger gone: " << run.Stderr();
    EXPECT_EQ(*code, 1) << run.Stderr();
    EXPECT_NE(run.Stderr().find("no-such-cluster"), std::string::npos) << run.Stderr();
  }
}

}  // namespace
}  // namespace sluice
