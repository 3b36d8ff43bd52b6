// examples/local-orchestration: two services chained by data only.
//   - Locally, against mosquitto started here and no AWS at all: service A turns a CSV dropped
//     into inbox/ into cache/summaries/NAME.json; mirror.sh announces it on MQTT; service B,
//     triggered by that message, writes cache/reports/NAME.txt. Service B stopped meanwhile gets
//     what was announced when it is back (its persistent session). Job status is in result lines.
//   - In the cloud, against moto with no permission but its iam-policy.json: the same
//     service-b.sh with only SOURCE (an SQS queue fed by the bucket's notifications) and OUTPUT
//     (s3://) changed, for a summary uploaded to S3.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/services/s3_client.h"
#include "tests/peers/examples.h"
#include "tests/peers/mosquitto_broker.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;
using testing::ReadFile;
using testing::ToolRun;
using testing::WaitFor;

class LocalOrchestrationExampleTest : public testing::MotoSuiteTest</*kVerifySignatures=*/true> {
 protected:
  static std::map<std::string, std::string> LocalEnv(const std::string& dir) {
    auto env = testing::AwsEnv(dir, "", "", "");
    env["PATH"] = testing::ToolsFirstPath();
    return env;
  }
  static std::vector<json> Lines(const std::string& path) {
    std::vector<json> out;
    for (const std::string& line : testing::Lines(ReadFile(path))) out.push_back(json::parse(line));
    return out;
  }
};

TEST_F(LocalOrchestrationExampleTest, LocallyAnArtifactsCreationTriggersTheNextServiceThroughMqtt) {
  auto broker = testing::MosquittoBroker::Start({});
  ASSERT_NE(broker, nullptr);
  const std::string dir = testing::MakeTempDir("sluice-example-orchestration-");
  auto env = LocalEnv(dir);
  env.insert({{"INBOX", dir + "/inbox"},
              {"CACHE", dir + "/cache"},
              {"BROKER", "127.0.0.1:" + std::to_string(broker->port())},
              {"SOURCE", broker->uri("artifacts/#")},
              {"OUTPUT", dir + "/cache/reports"},
              {"STATUS", dir + "/service-b.jsonl"},
              {"REPORT", broker->uri("status/{basename}")}});
  auto b = std::make_unique<ToolRun>(testing::ExamplePath("local-orchestration/service-b.sh"), dir,
                                     env, std::vector<std::string>{});
  ASSERT_TRUE(testing::WaitUntilWatching(*b)) << b->Stderr();
  ToolRun mirror(testing::ExamplePath("local-orchestration/mirror.sh"), dir, env, {});
  ASSERT_TRUE(testing::WaitUntilWatching(mirror)) << mirror.Stderr();
  ToolRun a(testing::ExamplePath("local-orchestration/service-a.sh"), dir, env, {});
  ASSERT_TRUE(testing::WaitUntilWatching(a)) << a.Stderr();

  testing::WriteFile(dir + "/inbox/orders.csv", "id,amount\n1,19.90\n2,5.00\n3,0.10\n");
  const std::string report = dir + "/cache/reports/orders.txt";
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(report); }, 60000))
      << a.Stderr() << mirror.Stderr() << b->Stderr();
  EXPECT_EQ(ReadFile(report), dir + "/inbox/orders.csv: 3 rows, total 25\n");

  // Service B is down while service A makes another artifact: it is announced, kept by the
  // broker for B's session, and handled when B is back.
  b->Signal(SIGTERM);
  EXPECT_EQ(b->ExitCode(), 130) << b->Stderr();
  testing::WriteFile(dir + "/inbox/returns.csv", "id,amount\n7,-3.50\n");
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const json& r : Lines(dir + "/cache/mirror.jsonl")) {
          if (r["topic"] == "artifacts/returns.json" && r["status"] == "succeeded") return true;
        }
        return false;
      },
      60000))
      << mirror.Stderr();
  b = std::make_unique<ToolRun>(testing::ExamplePath("local-orchestration/service-b.sh"), dir, env,
                                std::vector<std::string>{});
  const std::string second = dir + "/cache/reports/returns.txt";
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(second); }, 60000)) << b->Stderr();
  EXPECT_EQ(ReadFile(second), dir + "/inbox/returns.csv: 1 rows, total -3.5\n");

  for (ToolRun* run : {b.get(), &mirror, &a}) {
    run->Signal(SIGTERM);
    EXPECT_EQ(run->ExitCode(), 130) << run->Stderr();
  }
  // Job status, one line per job, in each service's results.
  auto a_status = Lines(dir + "/cache/service-a.jsonl");
  ASSERT_EQ(a_status.size(), 2u);
  for (const json& r : a_status) EXPECT_EQ(r["status"], "succeeded") << r;
  auto b_status = Lines(dir + "/service-b.jsonl");
  ASSERT_EQ(b_status.size(), 2u) << ReadFile(dir + "/service-b.jsonl");
  for (const json& r : b_status) {
    EXPECT_EQ(r["status"], "succeeded") << r;
    EXPECT_EQ(r["event"]["source"], "mqtt") << r;
  }
  EXPECT_EQ(b_status[1]["event"]["topic"], "artifacts/returns.json");
  // The status documents, retained on the broker for an app that subscribes when it likes.
  ToolRun sub("/bin/sh", dir, env,
              {"-c", "mosquitto_sub -h 127.0.0.1 -p \"$0\" -t 'status/#' -v -C 2 -W 10",
               std::to_string(broker->port())});
  ASSERT_EQ(sub.ExitCode(), 0) << sub.Stderr();
  EXPECT_TRUE(testing::Contains(sub.Stdout(), "status/orders.json {")) << sub.Stdout();
  EXPECT_TRUE(testing::Contains(sub.Stdout(), "\"status\":\"succeeded\"")) << sub.Stdout();
  testing::RemoveTree(dir);
}

TEST_F(LocalOrchestrationExampleTest, InTheCloudTheSameServiceBReadsS3EventsFromSqs) {
  const std::string dir = testing::MakeTempDir("sluice-example-orchestration-cloud-");
  const std::string bucket = "example-orchestration";
  const std::map<std::string, std::string> vars = {{"ACCOUNT_ID", moto_->account_id()},
                                                   {"REGION", "us-east-1"},
                                                   {"QUEUE", "example-summaries"},
                                                   {"BUCKET", bucket}};
  auto s3 = S3Client::Make(moto_->Context());
  ASSERT_TRUE(s3.ok());
  ASSERT_TRUE((*s3)->CreateBucket(bucket).ok());
  auto admin_env = testing::ExampleEnv(dir, *moto_, moto_->credentials());
  admin_env.insert({{"BUCKET", bucket}, {"QUEUE", vars.at("QUEUE")}, {"PREFIX", "summaries/"}});
  std::string queue_url;
  {
    ToolRun setup(testing::ExamplePath("sqs-events-to-fargate/setup.sh"), dir, admin_env, {});
    ASSERT_EQ(setup.ExitCode(), 0) << setup.Stderr();
    queue_url = testing::Lines(setup.Stdout()).at(0);
  }
  Credentials worker = testing::ExamplePolicyUser(*moto_, "local-orchestration",
                                                  "local-orchestration/iam-policy.json", vars);
  auto env = testing::ExampleEnv(dir, *moto_, worker);
  env.insert({{"SOURCE", queue_url},
              {"OUTPUT", "s3://" + bucket + "/reports/"},
              {"STATUS", dir + "/service-b.jsonl"},
              {"REPORT", "s3://" + bucket + "/status/{key}.json"}});
  ToolRun b(testing::ExamplePath("local-orchestration/service-b.sh"), dir, env, {});
  ASSERT_TRUE(testing::WaitUntilWatching(b)) << b.Stderr();
  // What service A writes in the cloud: its artifact, in S3.
  ASSERT_TRUE(
      (*s3)
          ->PutObject(
              bucket, "summaries/orders.json",
              R"({"source":"s3://example-orchestration/inbox/orders.csv","rows":3,"total":25.00})")
          .ok());
  ASSERT_TRUE(
      WaitFor([&] { return testing::CountLines(ReadFile(dir + "/service-b.jsonl")) >= 1; }, 60000))
      << b.Stderr();
  b.Signal(SIGTERM);
  EXPECT_EQ(b.ExitCode(), 130) << b.Stderr();
  auto status = Lines(dir + "/service-b.jsonl");
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0]["status"], "succeeded") << status[0] << b.Stderr();
  EXPECT_EQ(status[0]["event"]["source"], "sqs");
  auto report = (*s3)->GetObject(bucket, "reports/orders.txt");
  ASSERT_TRUE(report.ok()) << report.error().ToString() << b.Stderr();
  EXPECT_EQ(*report, "s3://example-orchestration/inbox/orders.csv: 3 rows, total 25\n");
  auto job = (*s3)->GetObject(bucket, "status/summaries/orders.json.json");
  ASSERT_TRUE(job.ok()) << job.error().ToString() << b.Stderr();
  EXPECT_EQ(json::parse(*job)["status"], "succeeded") << *job;
}

}  // namespace
}  // namespace sluice
