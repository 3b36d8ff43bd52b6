// sluice-trigger --lambda-function against moto's Lambda (run without Docker), through
// AwsRealismProxy for what moto's stub cannot do: a function that throws. One invocation per
// event with the event as the payload (moto echoes the payload once its queue of responses is
// empty, which shows what the function got), the response in the result line, a function error
// a failed attempt that --retries retries, a payload template JSON-escaped, Event invocations,
// and the errors a user can cause.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/peers/aws_realism_proxy.h"
#include "tests/peers/lambda_moto.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;

std::string EventLine(const std::string& key) {
  return json{{"event", "created"}, {"uri", "s3://uploads/" + key}, {"bucket", "uploads"},
              {"key", key},         {"etag", "e-" + key},           {"size", 3},
              {"sqs", {{"queue_url", "https://sqs/q"}, {"message_id", "m"},
                       {"receipt_handle", "rh"}, {"receive_count", 1}}}}
             .dump() +
         "\n";
}

class TriggerLambdaTest : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    MotoSuiteTest::SetUp();
    dir_ = testing::MakeTempDir("sluice-trigger-lambda-");
    function_ = "thumbnailer-" + std::to_string(++counter_);
    ASSERT_TRUE(lambda_.Start(*moto_, function_));
    proxy_ = std::make_unique<testing::AwsRealismProxy>(moto_->endpoint());
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  // A run fed `input` whole; its input ends after it.
  std::unique_ptr<testing::ToolRun> Run(const std::vector<std::string>& args,
                                        const std::string& input) {
    return std::make_unique<testing::ToolRun>(
        "sluice-trigger", dir_,
        testing::AwsEnv(dir_, proxy_->endpoint(), moto_->credentials().access_key_id,
                        moto_->credentials().secret_access_key),
        args, input);
  }

  static inline int counter_ = 0;
  std::string dir_, function_;
  testing::LambdaMoto lambda_;
  std::unique_ptr<testing::AwsRealismProxy> proxy_;
};

TEST_F(TriggerLambdaTest, InvokesTheFunctionPerEventAndPutsItsResponseInTheResult) {
  ASSERT_TRUE(lambda_.QueueResponses({R"({"thumbnail": "a.png"})", "not json"}));
  auto run = Run({"--lambda-function", function_}, EventLine("a.jpg") + EventLine("b.jpg") +
                                                       EventLine("c d\".jpg"));
  ASSERT_EQ(run->ExitCode(), 0) << run->Stderr();
  auto results = run->Results();
  ASSERT_EQ(results.size(), 3u) << run->Stdout();
  for (const json& r : results) {
    EXPECT_EQ(r["action"], "lambda");
    EXPECT_EQ(r["status"], "succeeded") << r;
  }
  EXPECT_EQ(results[0]["response"], (json{{"thumbnail", "a.png"}}));
  EXPECT_EQ(results[1]["response"], "not json");  // kept, as text
  // The queue is empty: moto echoes what the function got. The event, its SQS message left out
  // (sluice-trigger acknowledges it), and the event's id for the function's own deduplication.
  const json& got = results[2]["response"];
  EXPECT_EQ(got["key"], "c d\".jpg") << got;
  EXPECT_EQ(got["uri"], "s3://uploads/c d\".jpg");
  EXPECT_FALSE(got.contains("sqs")) << got;
  EXPECT_EQ(got["event_id"].get<std::string>().size(), 32u) << got;
  EXPECT_EQ(proxy_->LambdaInvocations(), 3);
}

TEST_F(TriggerLambdaTest, AFunctionErrorIsAFailedAttemptThatRetriesRetry) {
  proxy_->FailLambdaInvocations(1, "ValueError", "cannot read a.jpg");
  auto retried = Run({"--lambda-function", function_, "--retries", "1", "--retry-delay", "10ms"},
                     EventLine("a.jpg"));
  ASSERT_EQ(retried->ExitCode(), 0) << retried->Stderr();
  ASSERT_EQ(retried->Results().size(), 1u);
  EXPECT_EQ(retried->Results()[0]["attempts"], 2);

  proxy_->FailLambdaInvocations(10, "ValueError", "cannot read b.jpg");
  auto failed = Run({"--lambda-function", function_, "--retries", "1", "--retry-delay", "10ms"},
                    EventLine("b.jpg"));
  EXPECT_EQ(failed->ExitCode(), 1) << failed->Stderr();
  ASSERT_EQ(failed->Results().size(), 1u);
  json r = failed->Results()[0];
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["attempts"], 2);
  EXPECT_EQ(r["function_error"], "Unhandled");
  EXPECT_EQ(r["error"], "the function failed (Unhandled): ValueError: cannot read b.jpg") << r;
  EXPECT_EQ(r["response"]["errorType"], "ValueError");
  EXPECT_EQ(proxy_->LambdaInvocations(), 2 + 2);
}

TEST_F(TriggerLambdaTest, APayloadTemplateGetsItsValuesJsonEscaped) {
  auto run = Run({"--lambda-function", function_ + ":$LATEST", "--payload",
                  R"({"object": "s3://{bucket}/{key}", "attempt": {attempt}})"},
                 EventLine("quote\" and \\ backslash.jpg"));
  ASSERT_EQ(run->ExitCode(), 0) << run->Stderr();
  ASSERT_EQ(run->Results().size(), 1u) << run->Stdout();
  EXPECT_EQ(run->Results()[0]["response"],
            (json{{"object", "s3://uploads/quote\" and \\ backslash.jpg"}, {"attempt", 1}}));
}

TEST_F(TriggerLambdaTest, AnEventInvocationSucceedsOnceQueued) {
  auto run = Run({"--lambda-function", function_, "--invocation-type", "Event"},
                 EventLine("a.jpg"));
  ASSERT_EQ(run->ExitCode(), 0) << run->Stderr();
  ASSERT_EQ(run->Results().size(), 1u);
  EXPECT_EQ(run->Results()[0]["status"], "succeeded");
  EXPECT_FALSE(run->Results()[0].contains("response"));
  // By ARN: its colons are encoded once in the path and signed encoded twice, as botocore does.
  auto by_arn = Run({"--lambda-function", lambda_.arn()}, EventLine("b.jpg"));
  ASSERT_EQ(by_arn->ExitCode(), 0) << by_arn->Stderr();
  EXPECT_EQ(by_arn->Results()[0]["status"], "succeeded");
}

TEST_F(TriggerLambdaTest, AMissingFunctionFailsAtStartAndBadFlagsAreUsageErrors) {
  auto missing = Run({"--lambda-function", "no-such-function"}, EventLine("a.jpg"));
  EXPECT_EQ(missing->ExitCode(), 1);
  std::string err = missing->Stderr();
  EXPECT_NE(err.find("ResourceNotFoundException"), std::string::npos) << err;
  EXPECT_NE(err.find("check the name"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(proxy_->LambdaInvocations(), 0);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--lambda-function", function_, "--env", "A=1"},
           {"--lambda-function", function_, "--wait"},
           {"--lambda-function", function_, "--invocation-type", "DryRun"},
           {"--lambda-function", function_, "--exec", "--", "true"},
           {"--lambda-function", function_, "--payload", "{nope}"}}) {
    auto run = Run(args, "");
    EXPECT_EQ(run->ExitCode(), 2) << run->Stderr();
  }
}

}  // namespace
}  // namespace sluice
