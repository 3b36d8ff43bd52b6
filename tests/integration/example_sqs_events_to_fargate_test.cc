// examples/sqs-events-to-fargate: setup.sh run once as an administrator against moto (queue,
// dead-letter queue, queue policy, the bucket's notification configuration), then run.sh with no
// permission but those of its iam-policy.json (SQS calls checked against the queue's ARN): each
// object created under uploads/{user-id}/ reaches moto's SQS as an S3 Event Notification and
// (nested folders too) starts one task whose INPUT_KEY is the key, decoded (a key with spaces, which S3 events spell
// "+"; moto refuses a signed PUT of a key with a "+" in it, as it does the AWS CLI's); a file
// outside a user's prefix starts none; a SIGTERM to the script alone stops both tools with exit
// 130; and every message is gone from the queue afterwards.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <set>

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

class SqsEventsToFargateExampleTest : public testing::MotoSuiteTest</*kVerifySignatures=*/true> {};


TEST_F(SqsEventsToFargateExampleTest, EachUploadNotifiedThroughSqsStartsOneTaskWithItsDecodedKey) {
  const std::string dir = testing::MakeTempDir("sluice-example-sqs-");
  const std::map<std::string, std::string> vars = {{"ACCOUNT_ID", moto_->account_id()},
                                                   {"REGION", "us-east-1"},
                                                   {"QUEUE", "example-upload-events"},
                                                   {"CLUSTER", "example-jobs"}};
  const std::string bucket = "example-notified-uploads";
  auto s3 = S3Client::Make(moto_->Context());
  ASSERT_TRUE(s3.ok());
  ASSERT_TRUE((*s3)->CreateBucket(bucket).ok());
  testing::EcsMoto ecs;
  ASSERT_TRUE(ecs.Start(*moto_, vars.at("CLUSTER")));
  ASSERT_NE(ecs.RegisterTaskDefinition("process-upload", json::array({testing::EcsMoto::Container("process", "app")})), "");

  // Once, as an administrator.
  auto admin_env = testing::ExampleEnv(dir, *moto_, moto_->credentials());
  admin_env.insert({{"BUCKET", bucket}, {"QUEUE", vars.at("QUEUE")}});
  std::string queue_url;
  {
    testing::ToolRun setup(testing::ExamplePath("sqs-events-to-fargate/setup.sh"), dir, admin_env, {});
    ASSERT_EQ(setup.ExitCode(), 0) << setup.Stderr();
    auto lines = testing::Lines(setup.Stdout());
    ASSERT_EQ(lines.size(), 1u) << setup.Stdout();
    queue_url = lines[0];
    EXPECT_TRUE(queue_url.ends_with("/" + vars.at("QUEUE"))) << queue_url;
  }

  Credentials worker = testing::ExamplePolicyUser(*moto_, "sqs-events-to-fargate",
                                                  "sqs-events-to-fargate/iam-policy.json", vars);
  auto env = testing::ExampleEnv(dir, *moto_, worker);
  env.insert({{"QUEUE_URL", queue_url},
              {"CLUSTER", vars.at("CLUSTER")},
              {"TASK_DEFINITION", "process-upload"},
              {"RESULTS", dir + "/results.jsonl"}});
  testing::ToolRun run(testing::ExamplePath("sqs-events-to-fargate/run.sh"), dir, env, {}, {.in_dir = true});
  ASSERT_TRUE(testing::WaitUntilWatching(run)) << run.Stderr();
  auto hostile = (*s3)->PutObject(bucket, "uploads/u1/march report final.csv", "a,b\n");
  ASSERT_TRUE(hostile.ok()) << hostile.error().ToString();
  ASSERT_TRUE((*s3)->PutObject(bucket, "uploads/u2/2024/b.csv", "a,b\n").ok());
  ASSERT_TRUE((*s3)->PutObject(bucket, "uploads/stray.csv", "no user").ok());   // notified, not a user's
  ASSERT_TRUE((*s3)->PutObject(bucket, "elsewhere/c.csv", "not notified").ok());
  const std::string results_path = dir + "/results.jsonl";
  ASSERT_TRUE(testing::WaitFor([&] { return CountLines(ReadFile(results_path)) >= 2; }, 60000)) << run.Stderr();
  run.Signal(SIGTERM);  // to the script alone, as ECS stops a task
  EXPECT_EQ(run.ExitCode(), 130) << run.Stderr();
  EXPECT_EQ(run.Stderr().find("AccessDenied"), std::string::npos) << run.Stderr();

  std::set<std::string> keys;
  for (const std::string& line : testing::Lines(ReadFile(results_path))) {
    json result = json::parse(line);
    keys.insert(result["event"]["key"].get<std::string>());
    EXPECT_EQ(result["status"], "succeeded") << line;
    EXPECT_EQ(result["event"]["source"], "sqs") << line;
    json described = ecs.Call("DescribeTasks", {{"cluster", vars.at("CLUSTER")}, {"tasks", {result["task_arn"]}}});
    ASSERT_EQ(described["tasks"].size(), 1u) << described;
    EXPECT_EQ(testing::EcsMoto::TaskEnv(described["tasks"][0], "INPUT_KEY"), result["event"]["key"]);
    EXPECT_EQ(testing::EcsMoto::TaskEnv(described["tasks"][0], "INPUT_BUCKET"), bucket);
  }
  EXPECT_EQ(keys, (std::set<std::string>{"uploads/u1/march report final.csv", "uploads/u2/2024/b.csv"}));
  EXPECT_EQ(ecs.ListTasks().size(), 2u);
  // Nothing left on the queue, in flight (received, not deleted) included: as the AWS CLI says.
  testing::ToolRun attributes(
      "/bin/sh", dir, admin_env,
      {"-c", "aws --endpoint-url \"$AWS_ENDPOINT_URL\" sqs get-queue-attributes --queue-url \"$0\" "
             "--attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible",
       queue_url});
  ASSERT_EQ(attributes.ExitCode(), 0) << attributes.Stderr();
  json counts = json::parse(attributes.Stdout(), nullptr, false);
  ASSERT_TRUE(counts.contains("Attributes")) << attributes.Stdout();
  EXPECT_EQ(counts["Attributes"]["ApproximateNumberOfMessages"], "0") << counts;
  EXPECT_EQ(counts["Attributes"]["ApproximateNumberOfMessagesNotVisible"], "0") << counts;
}

}  // namespace
}  // namespace sluice
