// examples/local-to-cloud/pipeline.sh, the same script run twice, unchanged but for its target:
//   - locally, with no AWS settings at all: it waits for data/orders.csv to appear, runs
//     process.sh on it as a local process (sluice-run-once --local), whose output is the file's
//     rows and total, and exits with its code (65 for an empty file, process.sh's own);
//   - against moto, with no permission but those of its iam-policy.json: it waits for a new
//     version of s3://BUCKET/orders.csv and runs one task (moto's finish with exit code 0) whose
//     environment carries INPUT_URI, the object's URI, as moto describes the task.
// Its taskdef.json is checked to be a task definition ECS accepts.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/services/s3_client.h"
#include "tests/peers/ecs_moto.h"
#include "tests/peers/examples.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;
using testing::ReadFile;

class LocalToCloudExampleTest : public testing::MotoSuiteTest</*kVerifySignatures=*/true> {
 protected:
  // The environment of a laptop with no AWS set-up: only the built tools on PATH.
  static std::map<std::string, std::string> LocalEnv(const std::string& dir) {
    auto env = testing::AwsEnv(dir, "", "", "");
    env["PATH"] = testing::ToolsFirstPath();
    env["INTERVAL"] = "1s";
    return env;
  }
};

TEST_F(LocalToCloudExampleTest, LocallyItWaitsForTheFileAndRunsTheJobHere) {
  const std::string dir = testing::MakeTempDir("sluice-example-l2c-local-");
  std::filesystem::create_directory(dir + "/data");
  testing::ToolRun run(testing::ExamplePath("local-to-cloud/pipeline.sh"), dir, LocalEnv(dir), {"data/orders.csv"},
                       {.in_dir = true});
  ASSERT_TRUE(testing::WaitUntilWatching(run)) << run.Stderr();
  testing::WriteFile(dir + "/data/orders.csv", "id,amount\n1,19.90\n2,5.00\n3,0.10\n");
  ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  EXPECT_EQ(results[0]["local"], true);
  EXPECT_EQ(results[0]["exit_code"], 0);
  // process.sh's line, which sluice-run-once passes on to stderr as a task's logs.
  EXPECT_NE(run.Stderr().find("\"rows\":3,\"total\":25.00}"), std::string::npos) << run.Stderr();
  EXPECT_NE(run.Stderr().find("pipeline: created file://"), std::string::npos) << run.Stderr();
}

TEST_F(LocalToCloudExampleTest, LocallyAFailingJobsExitCodeIsThePipelines) {
  const std::string dir = testing::MakeTempDir("sluice-example-l2c-fail-");
  testing::ToolRun run(testing::ExamplePath("local-to-cloud/pipeline.sh"), dir, LocalEnv(dir), {"orders.csv"},
                       {.in_dir = true});
  ASSERT_TRUE(testing::WaitUntilWatching(run)) << run.Stderr();
  testing::WriteFile(dir + "/orders.csv", "");  // process.sh exits 65 for an empty input
  EXPECT_EQ(run.ExitCode(), 65) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  EXPECT_EQ(results[0]["exit_code"], 65);
  EXPECT_NE(run.Stderr().find("orders.csv is empty"), std::string::npos) << run.Stderr();
}

TEST_F(LocalToCloudExampleTest, InTheCloudItWaitsForTheObjectAndRunsATaskForIt) {
  const std::string dir = testing::MakeTempDir("sluice-example-l2c-cloud-");
  const std::map<std::string, std::string> vars = {{"ACCOUNT_ID", moto_->account_id()}, {"REGION", "us-east-1"},
                                                   {"BUCKET", "example-orders"}, {"KEY", "orders.csv"},
                                                   {"CLUSTER", "example-batch"}, {"IMAGE", "sluice:latest"}};
  auto s3 = S3Client::Make(moto_->Context());
  ASSERT_TRUE(s3.ok());
  ASSERT_TRUE((*s3)->CreateBucket("example-orders").ok());
  ASSERT_TRUE((*s3)->PutObject("example-orders", "orders.csv", "id,amount\n1,1.00\n").ok());
  testing::EcsMoto ecs;
  ASSERT_TRUE(ecs.Start(*moto_, "example-batch"));
  json registered = ecs.Call("RegisterTaskDefinition",
                             json::parse(testing::ExampleText("local-to-cloud/taskdef.json", vars)));
  EXPECT_EQ(registered["taskDefinition"].value("family", ""), "process-orders") << registered;
  // moto runs only bridge-mode tasks (../shared/notes/local-peers.md): the latest revision is
  // one, with the same container and its awslogs configuration, so the logs are followed too.
  json container = testing::EcsMoto::Container("process", "sluice:latest");
  container["logConfiguration"] = registered["taskDefinition"]["containerDefinitions"][0]["logConfiguration"];
  ASSERT_NE(ecs.RegisterTaskDefinition("process-orders", json::array({container})), "");

  Credentials job_runner = testing::ExamplePolicyUser(*moto_, "local-to-cloud", "local-to-cloud/iam-policy.json", vars);
  auto env = testing::ExampleEnv(dir, *moto_, job_runner);
  env.insert({{"INTERVAL", "1s"}, {"CLUSTER", "example-batch"}, {"TASK_DEFINITION", "process-orders"}});
  testing::ToolRun run(testing::ExamplePath("local-to-cloud/pipeline.sh"), dir, env, {"s3://example-orders/orders.csv"},
                       {.in_dir = true});
  ASSERT_TRUE(testing::WaitUntilWatching(run)) << run.Stderr();
  ASSERT_TRUE((*s3)->PutObject("example-orders", "orders.csv", "id,amount\n1,1.00\n2,2.00\n").ok());
  ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
  EXPECT_EQ(run.Stderr().find("AccessDenied"), std::string::npos) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  EXPECT_EQ(results[0]["exit_code"], 0);
  json described = ecs.Call("DescribeTasks", {{"cluster", "example-batch"}, {"tasks", {results[0]["task_arn"]}}});
  ASSERT_EQ(described["tasks"].size(), 1u) << described;
  json environment = described["tasks"][0]["overrides"]["containerOverrides"][0]["environment"];
  EXPECT_EQ(environment, json::parse(R"([{"name":"INPUT_URI","value":"s3://example-orders/orders.csv"}])"))
      << described;
  EXPECT_FALSE(described["tasks"][0]["overrides"]["containerOverrides"][0].contains("command"))
      << "the task runs its own command, process.sh in the image";
}

}  // namespace
}  // namespace sluice
