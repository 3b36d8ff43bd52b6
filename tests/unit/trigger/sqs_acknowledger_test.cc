// The SQS acknowledger with scripted calls: a message is kept hidden while any of its events is
// held, deleted when all are done, left alone when one failed, made visible soon when returned, and
// extended with the newest receipt handle after a redelivery.
#include "sluice/trigger/sqs_acknowledger.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using std::chrono::seconds;

class FakeCalls : public SqsMessageCalls {
 public:
  Status Delete(const std::string& queue_url, const std::string& receipt_handle) override {
    calls.push_back("delete " + queue_url + " " + receipt_handle);
    return Status::Ok();
  }
  Result<std::vector<SqsClient::VisibilityFailure>> ChangeVisibility(
      const std::string& queue_url, const std::vector<std::string>& receipt_handles,
      int seconds) override {
    std::string call = "visibility " + queue_url + " " + std::to_string(seconds);
    for (const std::string& h : receipt_handles) call += " " + h;
    calls.push_back(call);
    if (fail_next) {
      fail_next = false;
      return Error::Network("connection reset");
    }
    std::vector<SqsClient::VisibilityFailure> failures;
    for (const std::string& h : receipt_handles) {
      if (h == refused) failures.push_back({h, "ReceiptHandleIsInvalid: gone"});
    }
    return failures;
  }
  std::vector<std::string> calls;
  bool fail_next = false;
  std::string refused;
};

TriggerEvent Event(const std::string& message_id, const std::string& handle, int events = 1,
                   int index = 0, const std::string& queue = "q1") {
  TriggerEvent event;
  event.fields = {{"event", "created"}, {"uri", "s3://b/k"}};
  event.fields["sqs"] = ToJson(SqsMessageRef{queue, message_id, handle, 1, events, index});
  return event;
}

class SqsAcknowledgerTest : public ::testing::Test {
 protected:
  SqsAcknowledgerTest() : ack_(calls_, {.visibility = seconds(60), .log = [this](const std::string& l) {
                                          log_ += l + "\n";
                                        }}) {}
  FakeCalls calls_;
  std::string log_;
  SqsAcknowledger ack_;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

TEST_F(SqsAcknowledgerTest, HeldMessagesAreExtendedInBatchesEveryThirdOfTheTimeout) {
  ack_.Hold(Event("m1", "r1"));
  ack_.Hold(Event("m2", "r2"));
  ack_.Hold(Event("m3", "r3", 1, 0, "q2"));
  ack_.Heartbeat(t0_);
  EXPECT_EQ(calls_.calls, (std::vector<std::string>{"visibility q1 60 r1 r2", "visibility q2 60 r3"}));
  calls_.calls.clear();
  ack_.Heartbeat(t0_ + seconds(19));  // not due yet
  EXPECT_TRUE(calls_.calls.empty());
  ack_.Heartbeat(t0_ + seconds(20));
  EXPECT_EQ(calls_.calls.size(), 2u);
}

TEST_F(SqsAcknowledgerTest, AMessageIsDeletedWhenEveryOneOfItsEventsIsDone) {
  ack_.Hold(Event("m1", "r1", 2, 0));
  ack_.Hold(Event("m1", "r1", 2, 1));
  ack_.Settle(Event("m1", "r1", 2, 1), Settlement::kDone);
  EXPECT_TRUE(calls_.calls.empty());
  EXPECT_EQ(ack_.HeldMessages(), 1u);
  ack_.Settle(Event("m1", "r1", 2, 1), Settlement::kDone);  // twice is once
  EXPECT_TRUE(calls_.calls.empty());
  ack_.Settle(Event("m1", "r1", 2, 0), Settlement::kDone);
  EXPECT_EQ(calls_.calls, (std::vector<std::string>{"delete q1 r1"}));
  EXPECT_EQ(ack_.HeldMessages(), 0u);
  ack_.Heartbeat(t0_);  // nothing held: nothing extended
  EXPECT_EQ(calls_.calls.size(), 1u);
}

TEST_F(SqsAcknowledgerTest, AFailedEventLeavesItsMessageToTheQueuesRedrivePolicy) {
  ack_.Hold(Event("m1", "r1", 2, 0));
  ack_.Settle(Event("m1", "r1", 2, 0), Settlement::kFailed);
  ack_.Settle(Event("m1", "r1", 2, 1), Settlement::kDone);
  EXPECT_TRUE(calls_.calls.empty());
  EXPECT_EQ(ack_.HeldMessages(), 0u);  // no longer extended: it becomes visible again
  EXPECT_NE(log_.find("dead-letter queue"), std::string::npos) << log_;
}

TEST_F(SqsAcknowledgerTest, AReturnedEventMakesItsMessageVisibleSoon) {
  ack_.Hold(Event("m1", "r1"));
  ack_.Settle(Event("m1", "r1"), Settlement::kReturned);
  EXPECT_EQ(calls_.calls, (std::vector<std::string>{"visibility q1 5 r1"}));
}

TEST_F(SqsAcknowledgerTest, ARedeliveryReplacesTheReceiptHandleAndIsExtendedAtOnce) {
  ack_.Hold(Event("m1", "r1"));
  ack_.Heartbeat(t0_);
  ack_.Hold(Event("m1", "r1-again"));
  ack_.Heartbeat(t0_ + seconds(1));
  ack_.Settle(Event("m1", "r1"), Settlement::kDone);  // the first delivery's event finished
  EXPECT_EQ(calls_.calls, (std::vector<std::string>{"visibility q1 60 r1", "visibility q1 60 r1-again",
                                                    "delete q1 r1-again"}));
}

TEST_F(SqsAcknowledgerTest, AFailedHeartbeatIsRetriedSoonAndARefusalIsSaidOnce) {
  ack_.Hold(Event("m1", "r1"));
  calls_.fail_next = true;
  ack_.Heartbeat(t0_);
  EXPECT_NE(log_.find("connection reset"), std::string::npos) << log_;
  ack_.Heartbeat(t0_ + seconds(5));  // well before the 20 s of a normal heartbeat
  EXPECT_EQ(calls_.calls.size(), 2u);
  calls_.refused = "r1";
  ack_.Heartbeat(t0_ + seconds(25));
  ack_.Heartbeat(t0_ + seconds(45));
  size_t first = log_.find("cannot be kept hidden");
  ASSERT_NE(first, std::string::npos) << log_;
  EXPECT_EQ(log_.find("cannot be kept hidden", first + 1), std::string::npos) << log_;
}

TEST_F(SqsAcknowledgerTest, EventsWithoutAMessageAreNotItsConcern) {
  TriggerEvent plain;
  plain.fields = {{"uri", "s3://b/k"}};
  ack_.Hold(plain);
  ack_.Settle(plain, Settlement::kDone);
  EXPECT_FALSE(ack_.Redelivers(plain));
  EXPECT_TRUE(ack_.Redelivers(Event("m1", "r1")));
  EXPECT_TRUE(calls_.calls.empty());
}

TEST(SqsMessageRefTest, RoundTripsAndRejectsWhatIsNotOne) {
  SqsMessageRef ref{"https://q", "m", "r", 2, 3, 1};
  nlohmann::json fields = {{"sqs", ToJson(ref)}};
  auto back = FindSqsMessageRef(fields);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->queue_url, "https://q");
  EXPECT_EQ(back->receive_count, 2);
  EXPECT_EQ(back->events, 3);
  EXPECT_EQ(back->index, 1);
  for (const char* bad : {R"({"sqs": "x"})", R"({"sqs": {"queue_url": "q", "message_id": "m"}})",
                          R"({"sqs": {"queue_url": "q", "message_id": "m", "receipt_handle": "r", "events": 2, "index": 2}})",
                          R"({"sqs": {"queue_url": "q", "message_id": "m", "receipt_handle": "r", "index": "0"}})",
                          R"({"sqs": {"queue_url": "", "message_id": "m", "receipt_handle": "r"}})"}) {
    EXPECT_FALSE(FindSqsMessageRef(nlohmann::json::parse(bad)).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sluice
