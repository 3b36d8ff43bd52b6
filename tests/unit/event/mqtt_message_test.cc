#include "sluice/event/mqtt_message.h"

#include <gtest/gtest.h>

#include "sluice/util/time_format.h"

namespace sluice {
namespace {

SystemTime Now() { return *ParseIso8601("2026-12-03T10:00:00Z"); }

TEST(MqttMessageTest, ABarePathOrUriIsACreatedEvent) {
  auto events = EventsFromMqttMessage("cache/a", "/cache/./out/a.parquet\n", false, Now());
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 1u);
  const nlohmann::json& e = (*events)[0];
  EXPECT_EQ(e["event"], "created");
  EXPECT_EQ(e["uri"], "file:///cache/out/a.parquet");
  EXPECT_EQ(e["key"], "/cache/out/a.parquet");
  EXPECT_EQ(e["bucket"], "");
  EXPECT_EQ(e["source"], "mqtt");
  EXPECT_EQ(e["topic"], "cache/a");
  EXPECT_EQ(e["detected_at"], "2026-12-03T10:00:00Z");
  EXPECT_FALSE(e.contains("retained"));

  auto s3 = EventsFromMqttMessage("t", "s3://uploads/u1/a b.csv", true, Now());
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ((*s3)[0]["bucket"], "uploads");
  EXPECT_EQ((*s3)[0]["key"], "u1/a b.csv");
  EXPECT_EQ((*s3)[0]["retained"], true);

  auto file = EventsFromMqttMessage("t", "file:///x/y", false, Now());
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)[0]["key"], "/x/y");
}

TEST(MqttMessageTest, SluiceEventLinesKeepTheirFieldsButNotAnotherReadersMessage) {
  std::string lines =
      R"({"event":"updated","uri":"s3://b/k","etag":"e","size":3,"source":"sqs","sqs":{"queue_url":"q"},"replayed":true,"extra":1})"
      "\n"
      R"({"event":"deleted","uri":"file:///c/d"})";
  auto events = EventsFromMqttMessage("artifacts/k", lines, false, Now());
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  const nlohmann::json& e = (*events)[0];
  EXPECT_EQ(e["event"], "updated");
  EXPECT_EQ(e["etag"], "e");
  EXPECT_EQ(e["extra"], 1);
  EXPECT_EQ(e["source"], "mqtt");
  EXPECT_FALSE(e.contains("sqs")) << "acknowledging it would delete another reader's message";
  EXPECT_FALSE(e.contains("replayed"));
  EXPECT_EQ((*events)[1]["event"], "deleted");
}

TEST(MqttMessageTest, AnS3NotificationGivesOneEventPerRecord) {
  std::string body =
      R"({"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2026-12-03T09:00:00Z",)"
      R"("s3":{"bucket":{"name":"up"},"object":{"key":"a+b","size":1,"eTag":"x"}}},)"
      R"({"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","eventTime":"2026-12-03T09:00:00Z",)"
      R"("s3":{"bucket":{"name":"up"},"object":{"key":"c"}}}]})";
  auto events = EventsFromMqttMessage("s3/events", body, false, Now());
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0]["key"], "a b");
  EXPECT_EQ((*events)[0]["source"], "mqtt");
  EXPECT_EQ((*events)[1]["event"], "deleted");
  auto test_event = EventsFromMqttMessage("s3/events", R"({"Event":"s3:TestEvent"})", false, Now());
  ASSERT_TRUE(test_event.ok());
  EXPECT_TRUE(test_event->empty());
}

TEST(MqttMessageTest, WhatIsNotAnEventIsAnErrorThatSaysWhy) {
  for (const char* bad :
       {"", "  \n", "relative/path", "hello world", "{not json", "[1,2]", R"({"no":"uri"})",
        R"({"uri":"s3://b/k","event":"moved"})", "s3://bucket", "s3:///key"}) {
    auto events = EventsFromMqttMessage("t", bad, false, Now());
    EXPECT_FALSE(events.ok()) << bad;
    if (!events.ok()) {
      EXPECT_EQ(events.error().kind, ErrorKind::kParse);
      EXPECT_FALSE(events.error().message.empty());
    }
  }
  EXPECT_FALSE(EventsFromMqttMessage("t", std::string("/a\0b", 4), false, Now()).ok());
}

}  // namespace
}  // namespace sluice
