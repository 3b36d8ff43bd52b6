// examples/upload-to-fargate/run.sh, run as its comment says, against moto with no permission but
// those of its iam-policy.json: every upload under uploads/{user-id}/ starts one task whose
// environment carries the object's key (as moto describes the task), nothing else does (the
// objects already there, a file outside a user's prefix), a SIGTERM to the script alone (how
// ECS stops a task) stops both tools with exit 130, and a restart triggers only what arrived
// meanwhile. Its taskdef.json is checked to be a task definition ECS accepts.
// S3 is a second moto that checks no signatures: moto's own check fails every ListObjectsV2
// with a '/' in its prefix (the AWS CLI's too: werkzeug hands moto the query with %2F decoded),
// so the policy's S3 statement is proven by the examples that watch single objects.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <set>

#include "lib/s3_client.h"
#include "tests/support/ecs_moto.h"
#include "tests/support/examples.h"
#include "tests/support/peers.h"
#include "tests/support/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;
using testing::CountLines;
using testing::ReadFile;

class UploadToFargateExampleTest : public testing::MotoSuiteTest</*kVerifySignatures=*/true> {};


TEST_F(UploadToFargateExampleTest, EachUserUploadStartsOneTaskWithItsKeyAcrossAStopAndRestart) {
  const std::string dir = testing::MakeTempDir("sluice-example-upload-");
  const std::map<std::string, std::string> vars = {
      {"ACCOUNT_ID", moto_->account_id()},
      {"REGION", "us-east-1"},
      {"BUCKET", "example-uploads"},
      {"CLUSTER", "example-jobs"},
      {"IMAGE", moto_->account_id() + ".dkr.ecr.us-east-1.amazonaws.com/process-upload:1"}};

  testing::EcsMoto ecs;
  ASSERT_TRUE(ecs.Start(*moto_, vars.at("CLUSTER")));
  json registered = ecs.Call("RegisterTaskDefinition",
                             json::parse(testing::ExampleText("upload-to-fargate/taskdef.json", vars)));
  EXPECT_EQ(registered["taskDefinition"].value("family", ""), "process-upload") << registered;
  // moto cannot run that awsvpc task definition (../shared/notes/local-peers.md): the tasks run
  // a bridge-mode revision of the same family, the latest.
  ASSERT_NE(ecs.RegisterTaskDefinition(
                "process-upload", json::array({testing::EcsMoto::Container("process", vars.at("IMAGE"))})),
            "");

  auto s3_moto = testing::MotoServer::Start({});
  ASSERT_NE(s3_moto, nullptr);
  auto s3 = S3Client::Make(s3_moto->Context());
  ASSERT_TRUE(s3.ok());
  const std::string bucket = vars.at("BUCKET");
  ASSERT_TRUE((*s3)->CreateBucket(bucket).ok());
  ASSERT_TRUE((*s3)->PutObject(bucket, "uploads/u0/before.csv", "a,b\n").ok());

  Credentials user = testing::ExamplePolicyUser(*moto_, "upload-to-fargate",
                                                "upload-to-fargate/iam-policy.json", vars);
  auto env = testing::ExampleEnv(dir, *moto_, user);
  env["AWS_ENDPOINT_URL_S3"] = s3_moto->endpoint();
  env.insert({{"BUCKET", bucket},
              {"CLUSTER", vars.at("CLUSTER")},
              {"TASK_DEFINITION", "process-upload"},
              {"INTERVAL", "1s"},
              {"STATE", dir + "/uploads.state"},
              {"RESULTS", dir + "/results.jsonl"}});
  const std::string script = testing::ExamplePath("upload-to-fargate/run.sh");
  const std::string results_path = dir + "/results.jsonl";
  auto results_reach = [&](size_t n) {
    return testing::WaitFor([&] { return CountLines(ReadFile(results_path)) >= n; }, 60000);
  };

  {
    testing::ToolRun run(script, dir, env, {}, {.in_dir = true});
    ASSERT_TRUE(testing::WaitFor([&] { return run.Stderr().find("watching") != std::string::npos || !run.Running(); }))
        << run.Stderr();
    ASSERT_TRUE(run.Running()) << run.Stderr();
    ASSERT_TRUE((*s3)->PutObject(bucket, "uploads/u1/a.csv", "a,b\n1,2\n").ok());
    ASSERT_TRUE((*s3)->PutObject(bucket, "uploads/u2/b.csv", "a,b\n3,4\n").ok());
    ASSERT_TRUE((*s3)->PutObject(bucket, "uploads/stray.txt", "no user").ok());
    ASSERT_TRUE(results_reach(2)) << run.Stderr();
    run.Signal(SIGTERM);  // to the script alone, as ECS stops a task
    EXPECT_EQ(run.ExitCode(), 130) << run.Stderr();
    EXPECT_EQ(run.Stderr().find("AccessDenied"), std::string::npos) << run.Stderr();
  }
  // Arrives while nothing runs; the restart picks it up from the state file.
  ASSERT_TRUE((*s3)->PutObject(bucket, "uploads/u1/later.csv", "a,b\n5,6\n").ok());
  {
    testing::ToolRun run(script, dir, env, {}, {.in_dir = true});
    ASSERT_TRUE(results_reach(3)) << run.Stderr();
    run.Signal(SIGTERM);
    EXPECT_EQ(run.ExitCode(), 130) << run.Stderr();
  }

  const auto lines = testing::Lines(ReadFile(results_path));
  ASSERT_EQ(lines.size(), 3u) << ReadFile(results_path);
  std::set<std::string> keys;
  for (const std::string& line : lines) {
    json result = json::parse(line);
    const std::string key = result["event"]["key"];
    keys.insert(key);
    EXPECT_EQ(result["status"], "succeeded") << line;
    EXPECT_EQ(result["exit_code"], 0) << line;
    json described = ecs.Call("DescribeTasks", {{"cluster", vars.at("CLUSTER")}, {"tasks", {result["task_arn"]}}});
    ASSERT_EQ(described["tasks"].size(), 1u) << described;
    const json& task = described["tasks"][0];
    EXPECT_EQ(testing::EcsMoto::TaskEnv(task, "INPUT_KEY"), key) << task;
    EXPECT_EQ(testing::EcsMoto::TaskEnv(task, "INPUT_BUCKET"), bucket) << task;
    EXPECT_EQ(testing::EcsMoto::TaskEnv(task, "INPUT_ETAG"), result["event"]["etag"]) << task;
    EXPECT_EQ(task.value("startedBy", ""), "upload-to-fargate") << task;
  }
  EXPECT_EQ(keys, (std::set<std::string>{"uploads/u1/a.csv", "uploads/u2/b.csv", "uploads/u1/later.csv"}));
  EXPECT_EQ(json::parse(lines.back())["event"]["key"], "uploads/u1/later.csv");
  EXPECT_EQ(ecs.ListTasks().size(), 3u);
}

}  // namespace
}  // namespace sluice
