// What sluice-trigger accepts as input: sluice-watch events, S3 notifications in their several
// wrappings, and what it refuses.
#include "sluice/event/trigger_event.h"

#include <gtest/gtest.h>

#include "sluice/util/time_format.h"

namespace sluice {
namespace {

const SystemTime kNow = *ParseIso8601("2026-11-23T10:00:00Z");

std::string Record(const std::string& name, const std::string& key) {
  return R"({"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2026-11-23T09:00:00.000Z",)"
         R"("eventName":")" + name + R"(","s3":{"bucket":{"name":"uploads"},"object":{"key":")" +
         key + R"(","size":7,"eTag":"abc","sequencer":"0A"}}})";
}

TEST(TriggerEventTest, ASluiceWatchEventKeepsItsFields) {
  auto events = ParseTriggerLine(
      R"({"event":"updated","uri":"s3://b/k.csv","bucket":"b","key":"k.csv","etag":"e","size":3,)"
      R"("last_modified":"2026-11-23T09:00:00Z","source":"poll","detected_at":"2026-11-23T09:00:01Z","extra":1})",
      4, kNow);
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  ASSERT_EQ(events->size(), 1u);
  const TriggerEvent& e = events->front();
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.kind(), "updated");
  EXPECT_EQ(e.uri(), "s3://b/k.csv");
  EXPECT_EQ(e.Field("size"), "3");
  EXPECT_EQ(e.Field("detected_at"), "2026-11-23T09:00:01Z");
  EXPECT_EQ(e.Field("extra"), "1");  // unknown fields pass through
  EXPECT_FALSE(e.Field("version_id"));
}

TEST(TriggerEventTest, AUriAloneIsACreatedEventWithBucketAndKey) {
  auto events = ParseTriggerLine(R"({"uri":"s3://b/dir/a b.csv"})", 1, kNow);
  ASSERT_TRUE(events.ok());
  const TriggerEvent& e = events->front();
  EXPECT_EQ(e.kind(), "created");
  EXPECT_EQ(e.Field("bucket"), "b");
  EXPECT_EQ(e.Field("key"), "dir/a b.csv");
  EXPECT_EQ(e.Field("detected_at"), "2026-11-23T10:00:00Z");
}

TEST(TriggerEventTest, ALocalPathNeedsNoBucket) {
  auto events = ParseTriggerLine(R"({"event":"created","uri":"/data/in/a.csv","key":"a.csv"})", 1, kNow);
  ASSERT_TRUE(events.ok());
  EXPECT_FALSE(events->front().Field("bucket"));
  EXPECT_EQ(events->front().Field("key"), "a.csv");
}

TEST(TriggerEventTest, ANotificationGivesOneEventPerRecordWithDecodedKeys) {
  std::string line = R"({"Records":[)" + Record("ObjectCreated:Put", "a+b%2Bc.csv") + "," +
                     Record("ObjectRemoved:Delete", "old.csv") + "]}";
  auto events = ParseTriggerLine(line, 2, kNow);
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind(), "created");
  EXPECT_EQ((*events)[0].Field("key"), "a b+c.csv");
  EXPECT_EQ((*events)[0].uri(), "s3://uploads/a b+c.csv");
  EXPECT_EQ((*events)[0].Field("source"), "notification");
  EXPECT_EQ((*events)[1].kind(), "deleted");
  EXPECT_EQ((*events)[1].line, 2u);
}

TEST(TriggerEventTest, ABareRecordIsAccepted) {
  auto events = ParseTriggerLine(Record("ObjectCreated:Put", "x.csv"), 1, kNow);
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().Field("key"), "x.csv");
}

TEST(TriggerEventTest, AnEventBridgeEventIsAccepted) {
  auto events = ParseTriggerLine(
      R"({"version":"0","detail-type":"Object Created","source":"aws.s3","time":"2026-11-23T09:00:00Z",)"
      R"("detail":{"bucket":{"name":"uploads"},"object":{"key":"u1/a b.csv","size":5,"etag":"e"}}})",
      1, kNow);
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().Field("key"), "u1/a b.csv");  // EventBridge keys are not encoded
}

TEST(TriggerEventTest, TheS3TestEventHoldsNoEvents) {
  auto events = ParseTriggerLine(
      R"({"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-23T09:00:00Z","Bucket":"b"})",
      1, kNow);
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  EXPECT_TRUE(events->empty());
}

TEST(TriggerEventTest, BadLinesAreErrorsThatSayWhy) {
  struct Case {
    const char* line;
    const char* says;
  } cases[] = {
      {"not json", "not JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"key":"a"})", "uri"},
      {R"({"uri":""})", "uri"},
      {R"({"uri":"s3://b/k","event":"renamed"})", "created, updated"},
      {R"({"Records":[{"eventSource":"aws:s3"}]})", "Records[0]"},
  };
  for (const Case& c : cases) {
    auto events = ParseTriggerLine(c.line, 1, kNow);
    ASSERT_FALSE(events.ok()) << c.line;
    EXPECT_NE(events.error().message.find(c.says), std::string::npos)
        << c.line << " -> " << events.error().message;
  }
}

TEST(TriggerEventTest, IdentityDiffersByVersionAndKind) {
  auto a = ParseTriggerLine(R"({"uri":"s3://b/k","etag":"1","last_modified":"t1"})", 1, kNow);
  auto same = ParseTriggerLine(R"({"uri":"s3://b/k","etag":"1","last_modified":"t1","detected_at":"x"})", 2, kNow);
  auto rewritten = ParseTriggerLine(R"({"uri":"s3://b/k","etag":"1","last_modified":"t2"})", 3, kNow);
  auto deleted = ParseTriggerLine(R"({"event":"deleted","uri":"s3://b/k","etag":"1","last_modified":"t1"})", 4, kNow);
  EXPECT_EQ(a->front().Identity(), same->front().Identity());
  EXPECT_NE(a->front().Identity(), rewritten->front().Identity());
  EXPECT_NE(a->front().Identity(), deleted->front().Identity());
}

}  // namespace
}  // namespace sluice
