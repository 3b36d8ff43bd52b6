// Placeholders in sluice-trigger's arguments: expansion, literal braces, and typos caught early.
#include "sluice/trigger/event_template.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TriggerEvent Event(const std::string& json) {
  return {nlohmann::json::parse(json), 1};
}

std::string Expand(const std::string& text, const TriggerEvent& event, int attempt = 1) {
  auto t = EventTemplate::Parse(text);
  EXPECT_TRUE(t.ok()) << t.error().message;
  auto out = t->Expand(event, attempt);
  EXPECT_TRUE(out.ok()) << out.error().message;
  return out.ok() ? *out : "";
}

const TriggerEvent kEvent = Event(
    R"({"event":"created","uri":"s3://b/uploads/u1/$(rm -rf ~).csv","bucket":"b",)"
    R"("key":"uploads/u1/$(rm -rf ~).csv","etag":"e1","size":42})");

TEST(EventTemplateTest, ReplacesFieldsAsPlainText) {
  EXPECT_EQ(Expand("{key}", kEvent), "uploads/u1/$(rm -rf ~).csv");
  EXPECT_EQ(Expand("s3://{bucket}/{key}#{size}", kEvent), "s3://b/uploads/u1/$(rm -rf ~).csv#42");
  EXPECT_EQ(Expand("{basename}", kEvent), "$(rm -rf ~).csv");
  EXPECT_EQ(Expand("{dirname}", kEvent), "uploads/u1");
  EXPECT_EQ(Expand("try {attempt}", kEvent, 3), "try 3");
  EXPECT_EQ(Expand("{event}", kEvent), "created");
}

// --payload: a JSON document whatever the key holds.
TEST(EventTemplateTest, InJsonEachValueIsEscapedForAStringLiteral) {
  TriggerEvent event = Event(R"({"key":"a \"quoted\" \\ key\n.csv","size":42,"bucket":"b"})");
  auto t = EventTemplate::Parse(R"({"object": "s3://{bucket}/{key}", "n": {size}})");
  ASSERT_TRUE(t.ok());
  auto out = t->ExpandInJson(event, 1);
  ASSERT_TRUE(out.ok());
  auto doc = nlohmann::json::parse(*out);
  EXPECT_EQ(doc["object"], "s3://b/a \"quoted\" \\ key\n.csv");
  EXPECT_EQ(doc["n"], 42);
}

TEST(EventTemplateTest, LeavesOtherBracesAlone) {
  EXPECT_EQ(Expand("{print $1}", kEvent), "{print $1}");
  EXPECT_EQ(Expand("${HOME}", kEvent), "${HOME}");
  EXPECT_EQ(Expand("{}", kEvent), "{}");
  EXPECT_EQ(Expand("{{key}} is {key}", kEvent), "{key} is uploads/u1/$(rm -rf ~).csv");
  EXPECT_EQ(Expand("a}}b{", kEvent), "a}b{");
}

TEST(EventTemplateTest, AnUnknownPlaceholderIsAnErrorListingTheKnownOnes) {
  auto t = EventTemplate::Parse("{kye}");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("{kye}"), std::string::npos);
  EXPECT_NE(t.error().message.find("{key}"), std::string::npos);
}

TEST(EventTemplateTest, AMissingFieldIsAnErrorButAMissingVersionIsEmpty) {
  TriggerEvent local = Event(R"({"uri":"/data/a.csv"})");
  auto t = EventTemplate::Parse("{bucket}");
  auto out = t->Expand(local, 1);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("\"bucket\""), std::string::npos);
  EXPECT_EQ(Expand("v={version_id}", local), "v=");
}

TEST(EventTemplateTest, KnowsWhetherItHasPlaceholders) {
  EXPECT_FALSE(EventTemplate::Parse("plain {{key}}")->has_placeholders());
  EXPECT_TRUE(EventTemplate::Parse("x{uri}")->has_placeholders());
}

}  // namespace
}  // namespace sluice
