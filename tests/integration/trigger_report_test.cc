// sluice-trigger --report, the real binary: status documents in S3 (a signature-checking moto),
// read back with the AWS CLI while the job runs and after it ended, and retained on MQTT (a
// real mosquitto), where a client that subscribes afterwards gets each job's last status.
#include <gtest/gtest.h>

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
using testing::Contains;
using testing::ToolRun;
using testing::WaitFor;

class TriggerReportTest : public testing::MotoSuiteTest</*kVerifySignatures=*/true> {
 protected:
  void SetUp() override {
    MotoSuiteTest::SetUp();
    dir_ = testing::MakeTempDir("sluice-trigger-report-");
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  // The object as the AWS CLI reads it; null when it cannot.
  json ReadWithAwsCli(const std::string& uri) {
    auto env = testing::AwsEnv(dir_, *moto_);
    ToolRun cp("/bin/sh", dir_, env,
               {"-c", "aws --endpoint-url \"$AWS_ENDPOINT_URL\" s3 cp \"$0\" -", uri});
    if (cp.ExitCode() != 0) return nullptr;
    return json::parse(cp.Stdout(), nullptr, false);
  }

  std::string dir_;
};

TEST_F(TriggerReportTest, S3DocumentsSayRunningThenHowTheJobEndedAndTheAwsCliReadsThem) {
  const std::string bucket = "report-status";
  auto s3 = S3Client::Make(moto_->Context());
  ASSERT_TRUE(s3.ok());
  ASSERT_TRUE((*s3)->CreateBucket(bucket).ok());
  auto env = testing::AwsEnv(dir_, *moto_);
  env["DIR"] = dir_;
  ToolRun run("sluice-trigger", dir_, env,
              {"--report", "s3://" + bucket + "/status/{key}.json", "--retries", "1",
               "--retry-delay", "100ms", "--exec", "--", "sh", "-c",
               "case $SLUICE_KEY in *bad*) exit 3;; esac; "
               "while [ ! -e \"$DIR/go\" ]; do sleep 0.05; done"},
              {.stdin_pipe = true});
  ASSERT_TRUE(run.Write(R"({"uri":"s3://uploads/u1/a.csv","etag":"e1"})"
                        "\n"));
  const std::string doc_uri = "s3://" + bucket + "/status/u1/a.csv.json";
  json running;
  ASSERT_TRUE(WaitFor(
      [&] {
        running = ReadWithAwsCli(doc_uri);
        return running.is_object();
      },
      60000))
      << run.Stderr();
  EXPECT_EQ(running["status"], "running");
  EXPECT_EQ(running["key"], "u1/a.csv");
  EXPECT_EQ(running["action"], "exec");
  EXPECT_FALSE(running["job"].get<std::string>().empty());
  EXPECT_TRUE(running.contains("started_at"));

  testing::WriteFile(dir_ + "/go", "");
  ASSERT_TRUE(run.Write(R"({"uri":"s3://uploads/u2/bad.csv"})"
                        "\n"));
  run.CloseInput();
  EXPECT_EQ(run.ExitCode(), 1) << run.Stderr();  // one job failed

  json done = ReadWithAwsCli(doc_uri);
  ASSERT_TRUE(done.is_object());
  EXPECT_EQ(done["status"], "succeeded");
  EXPECT_EQ(done["exit_code"], 0);
  EXPECT_EQ(done["attempts"], 1);
  EXPECT_EQ(done["job"], running["job"]);
  EXPECT_EQ(done["event"]["etag"], "e1");
  EXPECT_TRUE(done.contains("finished_at"));
  json failed = ReadWithAwsCli("s3://" + bucket + "/status/u2/bad.csv.json");
  ASSERT_TRUE(failed.is_object());
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["exit_code"], 3);
  EXPECT_EQ(failed["attempts"], 2);
  EXPECT_TRUE(failed.contains("error"));
  // An app (a browser) gets it as JSON.
  ToolRun head("/bin/sh", dir_, testing::AwsEnv(dir_, *moto_),
               {"-c",
                "aws --endpoint-url \"$AWS_ENDPOINT_URL\" s3api head-object --bucket \"$0\" "
                "--key status/u1/a.csv.json --query ContentType --output text",
                bucket});
  ASSERT_EQ(head.ExitCode(), 0) << head.Stderr();
  EXPECT_EQ(head.Stdout(), "application/json\n") << head.Stderr();
}

TEST_F(TriggerReportTest, MqttDocumentsAreRetainedForClientsThatSubscribeLater) {
  auto broker = testing::MosquittoBroker::Start({});
  ASSERT_NE(broker, nullptr);
  auto env = testing::AwsEnv(dir_, "", "", "");
  ToolRun run("sluice-trigger", dir_, env,
              {"--report", broker->uri("jobs/{key}/status"), "--exec", "--", "true"},
              std::string(R"({"uri":"s3://uploads/u1/a.csv"})"
                          "\n"
                          R"({"uri":"s3://uploads/u2/b.csv"})"
                          "\n"));
  EXPECT_EQ(run.ExitCode(), 0) << run.Stderr();
  // Subscribed only now: the broker hands over each topic's retained, last document.
  auto sub_env = env;
  ToolRun sub("/bin/sh", dir_, sub_env,
              {"-c", "mosquitto_sub -h 127.0.0.1 -p \"$0\" -t 'jobs/#' -v -C 2 -W 10",
               std::to_string(broker->port())});
  ASSERT_EQ(sub.ExitCode(), 0) << sub.Stderr();
  std::map<std::string, json> by_topic;
  for (const std::string& line : testing::Lines(sub.Stdout())) {
    size_t space = line.find(' ');
    by_topic[line.substr(0, space)] = json::parse(line.substr(space + 1));
  }
  ASSERT_EQ(by_topic.size(), 2u) << sub.Stdout();
  EXPECT_EQ(by_topic["jobs/u1/a.csv/status"]["status"], "succeeded");
  EXPECT_EQ(by_topic["jobs/u2/b.csv/status"]["status"], "succeeded");
  EXPECT_EQ(by_topic["jobs/u2/b.csv/status"]["key"], "u2/b.csv");
}

TEST_F(TriggerReportTest, ProblemsWithTheReportAreUsageErrorsOrWarnings) {
  auto env = testing::AwsEnv(dir_, *moto_);
  ToolRun same("sluice-trigger", dir_, env,
               {"--report", "s3://b/status.json", "--exec", "--", "true"}, std::string(""));
  EXPECT_EQ(same.ExitCode(), 2);
  EXPECT_TRUE(Contains(same.Stderr(), "every job would write the same object")) << same.Stderr();

  // A bucket that does not exist: the job still runs and succeeds; the report is a warning.
  ToolRun missing("sluice-trigger", dir_, env,
                  {"--report", "s3://no-such-report-bucket/{key}.json", "--exec", "--", "true"},
                  std::string(R"({"uri":"s3://uploads/x"})"
                              "\n"));
  EXPECT_EQ(missing.ExitCode(), 0) << missing.Stderr();
  EXPECT_TRUE(Contains(missing.Stderr(), "warning: --report s3://no-such-report-bucket/x"))
      << missing.Stderr();
  ASSERT_EQ(missing.Results().size(), 1u);
  EXPECT_EQ(missing.Results()[0]["status"], "succeeded");
}

}  // namespace
}  // namespace sluice
