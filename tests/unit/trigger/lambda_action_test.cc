// The Lambda action's pure part: the default payload (the event, without its SQS message, with
// its id). Invocations against moto and a failing function: tests/integration/trigger_lambda_test.cc.
#include "sluice/trigger/lambda_action.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(LambdaPayloadTest, IsTheEventWithoutItsSqsMessageAndWithItsId) {
  TriggerEvent event;
  event.fields = {{"event", "created"}, {"uri", "s3://b/k"}, {"key", "k"}, {"etag", "e"},
                  {"sqs", {{"receipt_handle", "rh"}}}};
  auto payload = nlohmann::json::parse(LambdaPayload(event));
  EXPECT_FALSE(payload.contains("sqs"));
  EXPECT_EQ(payload["key"], "k");
  EXPECT_EQ(payload["event_id"], event.Id());
  // The id is the event's identity, not its delivery: the same for a repeat.
  TriggerEvent again = event;
  again.fields["sqs"]["receipt_handle"] = "rh2";
  EXPECT_EQ(nlohmann::json::parse(LambdaPayload(again))["event_id"], payload["event_id"]);
}

}  // namespace
}  // namespace sluice
