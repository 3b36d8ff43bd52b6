// The SQS mode of sluice-watch with a scripted queue: what is deleted and when, malformed
// messages, --once, and errors.
#include "sluice/watch/sqs_watch.h"

#include <gtest/gtest.h>

#include <deque>

#include "sluice/util/exit_codes.h"
#include "tests/support/fake_clock.h"

namespace sluice {
namespace {

std::string Record(const std::string& event_name, const std::string& key) {
  return R"({"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",)"
         R"("eventTime":"2026-11-23T10:00:00.000Z","eventName":")" +
         event_name + R"(","s3":{"bucket":{"name":"uploads"},"object":{"key":")" + key +
         R"(","size":5,"eTag":"abc","sequencer":"0A"}}})";
}

std::string Message(const std::vector<std::string>& records) {
  std::string out = R"({"Records":[)";
  for (size_t i = 0; i < records.size(); ++i) out += (i ? "," : "") + records[i];
  return out + "]}";
}

class FakeQueue : public MessageQueue {
 public:
  Result<std::vector<SqsClient::Message>> Receive(int wait_seconds) override {
    waits.push_back(wait_seconds);
    if (script.empty()) {
      // An empty long poll takes its whole wait.
      if (clock != nullptr) clock->now += std::chrono::seconds(wait_seconds);
      return std::vector<SqsClient::Message>{};
    }
    auto next = script.front();
    script.pop_front();
    return next;
  }
  Status Delete(const std::string& receipt_handle) override {
    deleted.push_back(receipt_handle);
    return Status::Ok();
  }
  const std::string& url() const override { return url_; }

  std::deque<Result<std::vector<SqsClient::Message>>> script;
  std::vector<std::string> deleted;
  std::vector<int> waits;
  testing::FakeClock* clock = nullptr;

 private:
  std::string url_ = "https://sqs.us-east-1.amazonaws.com/1/q";
};

class SqsWatchTest : public ::testing::Test {
 protected:
  int Run(const WatchOptions& options, const std::vector<WatchTarget>& targets = {},
          int receives = 5) {
    queue_.clock = &clock_;
    WatchDeps deps;
    deps.clock = &clock_;
    deps.emit = [this](const nlohmann::json& j) {
      events_.push_back(j);
      return true;
    };
    deps.sleep = [this](std::chrono::milliseconds d) {
      clock_.SleepFor(d);
      return true;
    };
    // Stops the loop after `receives` receives, as a signal would.
    deps.interrupted = [this, receives] { return static_cast<int>(queue_.waits.size()) >= receives; };
    deps.log = [this](const std::string& line) { log_.push_back(line); };
    return RunSqsWatch(options, queue_, targets, deps);
  }

  testing::FakeClock clock_;
  FakeQueue queue_;
  std::vector<nlohmann::json> events_;
  std::vector<std::string> log_;
};

TEST_F(SqsWatchTest, EventsCarryTheirMessageForTheReaderToAcknowledge) {
  queue_.script.push_back(std::vector<SqsClient::Message>{
      {"m1", "r1", Message({Record("ObjectCreated:Put", "in/a.csv"),
                            Record("ObjectCreated:Put", "other/b.csv"),
                            Record("ObjectCreated:Put", "in/c.csv")}),
       3},
      {"m2", "r2", R"({"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"uploads"})"},
  });
  EXPECT_EQ(Run({}, {*ParseWatchTarget("s3://uploads/in/")}, 2), kExitInterrupted);
  ASSERT_EQ(events_.size(), 2u);
  // Numbered among the events emitted, so that the reader knows when the message is done.
  for (int i = 0; i < 2; ++i) {
    auto ref = FindSqsMessageRef(events_[static_cast<size_t>(i)]);
    ASSERT_TRUE(ref.has_value()) << events_[static_cast<size_t>(i)].dump();
    EXPECT_EQ(ref->queue_url, "https://sqs.us-east-1.amazonaws.com/1/q");
    EXPECT_EQ(ref->message_id, "m1");
    EXPECT_EQ(ref->receipt_handle, "r1");
    EXPECT_EQ(ref->receive_count, 3);
    EXPECT_EQ(ref->events, 2);
    EXPECT_EQ(ref->index, i);
  }
  // Only the message with nothing to do is deleted by the watch.
  EXPECT_EQ(queue_.deleted, (std::vector<std::string>{"r2"}));
}

TEST_F(SqsWatchTest, DeleteOnEmitDeletesOnceWrittenAndLeavesMalformedMessages) {
  queue_.script.push_back(std::vector<SqsClient::Message>{
      {"m1", "r1", Message({Record("ObjectCreated:Put", "in/a+b.csv")})},
      {"m2", "r2", "garbage"},
      {"m3", "r3", R"({"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"uploads"})"},
      {"m4", "r4", Message({Record("ObjectRemoved:Delete", "in/old.csv")})},
  });
  EXPECT_EQ(Run({.delete_on_emit = true}, {}, 2), kExitInterrupted);
  EXPECT_FALSE(events_[0].contains("sqs"));
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0]["event"], "created");
  EXPECT_EQ(events_[0]["key"], "in/a b.csv");
  EXPECT_EQ(events_[0]["source"], "sqs");
  EXPECT_EQ(events_[1]["event"], "deleted");
  EXPECT_EQ(queue_.deleted, (std::vector<std::string>{"r1", "r3", "r4"}));
  ASSERT_EQ(log_.size(), 2u);
  EXPECT_NE(log_[1].find("message m2 is not an S3 event"), std::string::npos) << log_[1];
  EXPECT_EQ(queue_.waits[0], 20);  // long polling
}

TEST_F(SqsWatchTest, FilteredEventsAreConsumedButNotEmitted) {
  queue_.script.push_back(std::vector<SqsClient::Message>{
      {"m1", "r1", Message({Record("ObjectCreated:Put", "other/x.csv")})},
      {"m2", "r2", Message({Record("ObjectCreated:Put", "in/y.txt")})},
  });
  WatchOptions options;
  options.include.push_back(*Glob::Parse("*.csv"));
  EXPECT_EQ(Run(options, {*ParseWatchTarget("s3://uploads/in/")}, 2), kExitInterrupted);
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(queue_.deleted, (std::vector<std::string>{"r1", "r2"}));
}

TEST_F(SqsWatchTest, OnceLeavesTheRestOfTheBatchOnTheQueue) {
  queue_.script.push_back(std::vector<SqsClient::Message>{
      {"m1", "r1", Message({Record("ObjectCreated:Put", "a.csv")})},
      {"m2", "r2", Message({Record("ObjectCreated:Put", "b.csv")})},
  });
  EXPECT_EQ(Run({.once = true, .delete_on_emit = true}), kExitSuccess);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(queue_.deleted, (std::vector<std::string>{"r1"}));
}

TEST_F(SqsWatchTest, TimeoutShortensTheLongPollAndEndsWith124) {
  EXPECT_EQ(Run({.timeout = std::chrono::seconds(5)}, {}, 100), kExitTimeout);
  ASSERT_FALSE(queue_.waits.empty());
  EXPECT_EQ(queue_.waits[0], 5);
}

TEST_F(SqsWatchTest, MissingQueueIsFatalButThrottlingIsNot) {
  Error throttled;
  throttled.code = "ThrottlingException";
  throttled.http_status = 400;
  Error missing;
  missing.code = "QueueDoesNotExist";
  missing.http_status = 400;
  queue_.script.push_back(throttled);
  queue_.script.push_back(throttled);
  queue_.script.push_back(missing);
  EXPECT_EQ(Run({}), kExitFailure);
  EXPECT_EQ(queue_.waits.size(), 3u);
  EXPECT_NE(log_.back().find("QueueDoesNotExist"), std::string::npos) << log_.back();
}

}  // namespace
}  // namespace sluice
