#include "sluice/trigger/job_report.h"

#include <gtest/gtest.h>

#include "sluice/util/time_format.h"

namespace sluice {
namespace {

TEST(JobReportTest, TheDocumentNamesTheJobAndKeepsTheResultButNotTheQueueMessage) {
  TriggerEvent event;
  event.fields = {{"event", "created"},
                  {"uri", "s3://up/u1/a.csv"},
                  {"key", "u1/a.csv"},
                  {"etag", "e"},
                  {"sqs", {{"receipt_handle", "secret-ish"}}}};
  nlohmann::json result = {{"event", event.fields}, {"line", 7},        {"action", "ecs"},
                           {"status", "failed"},    {"exit_code", 3},   {"attempts", 2},
                           {"task_arn", "arn:t"},   {"error", "exit 3"}};
  auto doc = JobStatusDocument(event, result, *ParseIso8601("2026-12-03T10:00:00Z"));
  EXPECT_EQ(doc["job"], event.Id());
  EXPECT_EQ(doc["uri"], "s3://up/u1/a.csv");
  EXPECT_EQ(doc["key"], "u1/a.csv");
  EXPECT_EQ(doc["status"], "failed");
  EXPECT_EQ(doc["exit_code"], 3);
  EXPECT_EQ(doc["attempts"], 2);
  EXPECT_EQ(doc["task_arn"], "arn:t");
  EXPECT_EQ(doc["error"], "exit 3");
  EXPECT_EQ(doc["updated_at"], "2026-12-03T10:00:00Z");
  EXPECT_FALSE(doc.contains("line"));
  EXPECT_FALSE(doc["event"].contains("sqs"));
  EXPECT_EQ(doc["event"]["etag"], "e");
}

TEST(JobReportTest, UsageErrors) {
  JobReporterDeps deps;
  deps.context = []() -> Result<std::shared_ptr<const ClientContext>> {
    return Error::Config("unused");
  };
  deps.now = [] { return SystemTime{}; };
  deps.log = [](const std::string&) {};
  for (const char* bad :
       {"s3://bucket", "s3://bucket/", "s3://bucket/status/all.json", "s3://bucket/{kye}.json",
        "https://example.com/hook", "status.json", "mqtt://localhost/status/#"}) {
    auto made = MakeJobReporter(bad, deps);
    ASSERT_FALSE(made.ok()) << bad;
    EXPECT_EQ(made.error().kind, ErrorKind::kInvalidArgument)
        << bad << ": " << made.error().message;
  }
  // An S3 report connects only when it first writes.
  EXPECT_TRUE(MakeJobReporter("s3://bucket/status/{key}.json", deps).ok());
}

}  // namespace
}  // namespace sluice
