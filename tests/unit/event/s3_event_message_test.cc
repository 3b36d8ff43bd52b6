// Parsing SQS message bodies that report S3 changes (pure): S3 Event Notifications, the same
// wrapped by SNS, EventBridge events, the test event, and bodies nobody should have sent.
#include "sluice/event/s3_event_message.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sluice/util/time_format.h"

namespace sluice {
namespace {

using nlohmann::json;

SystemTime At(const char* iso8601) { return *ParseIso8601(iso8601); }

// A record shaped like the ones S3 sends (the documented example, fields and all); `object`
// replaces s3.object.
json Record(const std::string& event_name, const json& object) {
  return {
      {"eventVersion", "2.1"},
      {"eventSource", "aws:s3"},
      {"awsRegion", "us-west-2"},
      {"eventTime", "2026-11-23T10:00:00.123Z"},
      {"eventName", event_name},
      {"userIdentity", {{"principalId", "AWS:AIDAJDPLRKLG7UEXAMPLE"}}},
      {"requestParameters", {{"sourceIPAddress", "172.16.0.1"}}},
      {"responseElements",
       {{"x-amz-request-id", "C3D13FE58DE4C810"},
        {"x-amz-id-2", "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"}}},
      {"s3",
       {{"s3SchemaVersion", "1.0"},
        {"configurationId", "sluice-watch"},
        {"bucket",
         {{"name", "uploads"},
          {"ownerIdentity", {{"principalId", "A3NL1KOZZKExample"}}},
          {"arn", "arn:aws:s3:::uploads"}}},
        {"object", object}}},
  };
}

json Message(std::vector<json> records) { return {{"Records", std::move(records)}}; }

json PutObject(const std::string& key) {
  return {{"key", key},
          {"size", 1024},
          {"eTag", "d41d8cd98f00b204e9800998ecf8427e"},
          {"versionId", "096fKKXTRTtl3on89fVO.nfljtsv6qko"},
          {"sequencer", "0055AED6DCD90281E5"}};
}

json EventBridge(const std::string& detail_type, const json& object) {
  return {
      {"version", "0"},
      {"id", "17793124-05d4-b198-2fde-7ededc63b103"},
      {"detail-type", detail_type},
      {"source", "aws.s3"},
      {"account", "123456789012"},
      {"time", "2026-11-23T10:00:05Z"},
      {"region", "us-west-2"},
      {"resources", {"arn:aws:s3:::uploads"}},
      {"detail",
       {{"version", "0"},
        {"bucket", {{"name", "uploads"}}},
        {"object", object},
        {"request-id", "N4N7GDK58NMKJ12R"},
        {"requester", "123456789012"},
        {"source-ip-address", "1.2.3.4"},
        {"reason", "PutObject"}}},
  };
}

S3EventMessage ParseOk(const std::string& body) {
  auto parsed = ParseS3EventMessage(body);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().ToString()) << "\n" << body;
  return parsed.ok() ? *parsed : S3EventMessage{};
}

TEST(S3EventMessageTest, ObjectCreatedPut) {
  S3EventMessage message =
      ParseOk(Message({Record("ObjectCreated:Put", PutObject("in/a.csv"))}).dump());
  EXPECT_FALSE(message.test_event);
  EXPECT_EQ(message.skipped, 0u);
  ASSERT_EQ(message.events.size(), 1u);
  const WatchEvent& event = message.events[0];
  EXPECT_EQ(event.kind, ChangeKind::kCreated);
  EXPECT_EQ(event.bucket, "uploads");
  EXPECT_EQ(event.key, "in/a.csv");
  EXPECT_EQ(event.uri, "s3://uploads/in/a.csv");
  EXPECT_EQ(event.object.etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(event.object.size, 1024u);
  EXPECT_EQ(event.object.last_modified, At("2026-11-23T10:00:00.123Z"));
  EXPECT_EQ(event.object.version_id, "096fKKXTRTtl3on89fVO.nfljtsv6qko");
  EXPECT_EQ(event.source, "sqs");
  EXPECT_EQ(event.detected_at, SystemTime{});  // the caller's to set
}

TEST(S3EventMessageTest, QuotedETagIsUnquoted) {
  json object = PutObject("a");
  object["eTag"] = "\"abc\"";
  S3EventMessage message = ParseOk(Message({Record("ObjectCreated:Copy", object)}).dump());
  ASSERT_EQ(message.events.size(), 1u);
  EXPECT_EQ(message.events[0].object.etag, "abc");
}

TEST(S3EventMessageTest, RemovalsAreDeletesWithoutSize) {
  struct Case {
    const char* event_name;
    json object;
    const char* version_id;
  };
  const std::vector<Case> cases = {
      {"ObjectRemoved:Delete", {{"key", "in/a.csv"}, {"sequencer", "0055AED6DCD90281E6"}}, ""},
      {"ObjectRemoved:DeleteMarkerCreated",
       {{"key", "in/a.csv"}, {"versionId", "marker.v1"}, {"sequencer", "0055AED6DCD90281E7"}},
       "marker.v1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.event_name);
    S3EventMessage message = ParseOk(Message({Record(c.event_name, c.object)}).dump());
    ASSERT_EQ(message.events.size(), 1u);
    const WatchEvent& event = message.events[0];
    EXPECT_EQ(event.kind, ChangeKind::kDeleted);
    EXPECT_EQ(event.uri, "s3://uploads/in/a.csv");
    EXPECT_EQ(event.object.size, 0u);
    EXPECT_EQ(event.object.etag, "");
    EXPECT_EQ(event.object.version_id, c.version_id);
    EXPECT_EQ(event.object.last_modified, At("2026-11-23T10:00:00.123Z"));
  }
}

TEST(S3EventMessageTest, NotificationKeysAreFormDecoded) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a+b%2Bc.csv", "a b+c.csv"},
      {"prices/%E2%82%AC.csv", "prices/\xE2\x82\xAC.csv"},
      {"caf%C3%A9+%26+bar%3D1", "caf\xC3\xA9 & bar=1"},
      {"plain/key.txt", "plain/key.txt"},
  };
  for (const auto& [encoded, decoded] : cases) {
    SCOPED_TRACE(encoded);
    S3EventMessage message =
        ParseOk(Message({Record("ObjectCreated:Put", PutObject(encoded))}).dump());
    ASSERT_EQ(message.events.size(), 1u);
    EXPECT_EQ(message.events[0].key, decoded);
    EXPECT_EQ(message.events[0].uri, "s3://uploads/" + decoded);
  }
}

TEST(S3EventMessageTest, SeveralRecordsInOrderWithOtherKindsSkipped) {
  S3EventMessage message =
      ParseOk(Message({
                          Record("ObjectCreated:Put", PutObject("1")),
                          Record("ObjectRestore:Completed", PutObject("r")),
                          Record("ObjectRemoved:Delete", {{"key", "2"}}),
                          Record("ObjectCreated:CompleteMultipartUpload", PutObject("3")),
                      })
                  .dump());
  EXPECT_EQ(message.skipped, 1u);
  ASSERT_EQ(message.events.size(), 3u);
  EXPECT_EQ(message.events[0].key, "1");
  EXPECT_EQ(message.events[1].key, "2");
  EXPECT_EQ(message.events[1].kind, ChangeKind::kDeleted);
  EXPECT_EQ(message.events[2].key, "3");
}

TEST(S3EventMessageTest, SkippedKindAlone) {
  S3EventMessage message =
      ParseOk(Message({Record("ObjectRestore:Completed", PutObject("a"))}).dump());
  EXPECT_TRUE(message.events.empty());
  EXPECT_EQ(message.skipped, 1u);
  EXPECT_FALSE(message.test_event);
}

// As moto (and S3) send it when a notification configuration is put on the bucket.
const char kTestEvent[] =
    R"({"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-23T10:00:00.000Z",)"
    R"("Bucket":"uploads","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"})";

TEST(S3EventMessageTest, TestEventHasNothingToEmit) {
  S3EventMessage message = ParseOk(kTestEvent);
  EXPECT_TRUE(message.test_event);
  EXPECT_TRUE(message.events.empty());
  EXPECT_EQ(message.skipped, 0u);
}

json Sns(const std::string& message) {
  return {{"Type", "Notification"},
          {"MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"},
          {"TopicArn", "arn:aws:sns:us-west-2:123456789012:uploads"},
          {"Subject", "Amazon S3 Notification"},
          {"Message", message},
          {"Timestamp", "2026-11-23T10:00:01.000Z"},
          {"SignatureVersion", "1"},
          {"Signature", "EXAMPLE"},
          {"SigningCertURL", "https://sns.us-west-2.amazonaws.com/cert.pem"},
          {"UnsubscribeURL", "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe"}};
}

TEST(S3EventMessageTest, SnsWrapped) {
  S3EventMessage message =
      ParseOk(Sns(Message({Record("ObjectCreated:Put", PutObject("a+b.csv"))}).dump()).dump());
  ASSERT_EQ(message.events.size(), 1u);
  EXPECT_EQ(message.events[0].key, "a b.csv");
  EXPECT_EQ(message.events[0].source, "sqs");

  EXPECT_TRUE(ParseOk(Sns(kTestEvent).dump()).test_event);
}

TEST(S3EventMessageTest, EventBridgeObjectCreatedAndDeleted) {
  S3EventMessage created = ParseOk(EventBridge("Object Created", {{"key", "in/a+b%2B.csv"},
                                                                  {"size", 5},
                                                                  {"etag", "b1946ac924"},
                                                                  {"version-id", "IYV3p45B"},
                                                                  {"sequencer", "617f08299"}})
                                       .dump());
  ASSERT_EQ(created.events.size(), 1u);
  const WatchEvent& c = created.events[0];
  EXPECT_EQ(c.kind, ChangeKind::kCreated);
  EXPECT_EQ(c.key, "in/a+b%2B.csv");  // EventBridge does not encode keys
  EXPECT_EQ(c.uri, "s3://uploads/in/a+b%2B.csv");
  EXPECT_EQ(c.object.size, 5u);
  EXPECT_EQ(c.object.etag, "b1946ac924");
  EXPECT_EQ(c.object.version_id, "IYV3p45B");
  EXPECT_EQ(c.object.last_modified, At("2026-11-23T10:00:05Z"));
  EXPECT_EQ(c.source, "sqs");

  json deleted_body = EventBridge("Object Deleted", {{"key", "in/a.csv"},
                                                     {"etag", "b1946ac924"},
                                                     {"version-id", "marker"},
                                                     {"sequencer", "617f0829a"}});
  deleted_body["detail"]["deletion-type"] = "Delete Marker Created";
  S3EventMessage deleted = ParseOk(deleted_body.dump());
  ASSERT_EQ(deleted.events.size(), 1u);
  EXPECT_EQ(deleted.events[0].kind, ChangeKind::kDeleted);
  EXPECT_EQ(deleted.events[0].key, "in/a.csv");
  EXPECT_EQ(deleted.events[0].object.size, 0u);
  EXPECT_EQ(deleted.events[0].object.version_id, "marker");
}

TEST(S3EventMessageTest, EventBridgeOtherKindsAreSkipped) {
  S3EventMessage message =
      ParseOk(EventBridge("Object Restore Completed", {{"key", "a"}, {"size", 5}}).dump());
  EXPECT_TRUE(message.events.empty());
  EXPECT_EQ(message.skipped, 1u);
}

TEST(S3EventMessageTest, MalformedBodiesAreErrors) {
  auto with_object = [](json object) {
    return Message({Record("ObjectCreated:Put", std::move(object))}).dump();
  };
  auto with_record_field = [](const char* name, json value) {
    json record = Record("ObjectCreated:Put", PutObject("a"));
    record[name] = std::move(value);
    return Message({record}).dump();
  };
  json no_bucket = Record("ObjectCreated:Put", PutObject("a"));
  no_bucket["s3"].erase("bucket");
  json bucket_not_string = Record("ObjectCreated:Put", PutObject("a"));
  bucket_not_string["s3"]["bucket"]["name"] = 7;
  json size_string = PutObject("a");
  size_string["size"] = "1024";
  json size_negative = PutObject("a");
  size_negative["size"] = -1;
  json size_fraction = PutObject("a");
  size_fraction["size"] = 1.5;
  json etag_number = PutObject("a");
  etag_number["eTag"] = 12;
  json version_object = PutObject("a");
  version_object["versionId"] = json::object();
  json eventbridge_no_key = EventBridge("Object Created", {{"size", 5}});
  json eventbridge_no_detail = EventBridge("Object Created", {{"key", "a"}});
  eventbridge_no_detail.erase("detail");

  const std::vector<std::pair<const char*, std::string>> cases = {
      {"empty body", ""},
      {"not JSON", "ObjectCreated:Put s3://uploads/a"},
      {"truncated JSON", R"({"Records": [)"},
      {"array", "[]"},
      {"string", R"("Records")"},
      {"null", "null"},
      {"empty object", "{}"},
      {"other JSON object", R"({"hello": "world"})"},
      {"Records not an array", R"({"Records": {"s3": {}}})"},
      {"Records null", R"({"Records": null})"},
      {"record not an object", R"({"Records": [1]})"},
      {"record not from S3", R"({"Records": [{"eventSource": "aws:dynamodb",)"
                             R"( "eventName": "INSERT"}]})"},
      {"eventName not a string", with_record_field("eventName", 3)},
      {"s3 not an object", with_record_field("s3", "uploads/a")},
      {"missing key", with_object({{"size", 1}})},
      {"key not a string", with_object({{"key", 1}})},
      {"empty key", with_object({{"key", ""}})},
      {"object missing", with_record_field("s3", {{"bucket", {{"name", "uploads"}}}})},
      {"missing bucket", Message({no_bucket}).dump()},
      {"bucket name not a string", Message({bucket_not_string}).dump()},
      {"size as a string", with_object(size_string)},
      {"negative size", with_object(size_negative)},
      {"fractional size", with_object(size_fraction)},
      {"eTag a number", with_object(etag_number)},
      {"versionId an object", with_object(version_object)},
      {"eventTime missing",
       [] {
         json record = Record("ObjectCreated:Put", PutObject("a"));
         record.erase("eventTime");
         return Message({record}).dump();
       }()},
      {"eventTime not a time", with_record_field("eventTime", "yesterday")},
      {"eventTime a number", with_record_field("eventTime", 1700000000)},
      {"second record bad", Message({Record("ObjectCreated:Put", PutObject("a")),
                                     Record("ObjectCreated:Put", {{"size", 1}})})
                                .dump()},
      {"SNS Message not JSON", Sns("not json").dump()},
      {"SNS Message an array", Sns("[]").dump()},
      {"SNS Message not an S3 event", Sns(R"({"hello": "world"})").dump()},
      {"SNS Message missing", R"({"Type": "Notification"})"},
      {"SNS Message not a string", R"({"Type": "Notification", "Message": {"Records": []}})"},
      {"EventBridge without key", eventbridge_no_key.dump()},
      {"EventBridge without detail", eventbridge_no_detail.dump()},
      {"deeply nested", std::string(10000, '[') + std::string(10000, ']')},
  };
  for (const auto& [name, body] : cases) {
    SCOPED_TRACE(name);
    auto parsed = ParseS3EventMessage(body);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind, ErrorKind::kParse);
    EXPECT_FALSE(parsed.error().message.empty());
  }
}

TEST(S3EventMessageTest, ErrorsSayWhatIsWrong) {
  auto message_of = [](const std::string& body) {
    auto parsed = ParseS3EventMessage(body);
    return parsed.ok() ? std::string("ok") : parsed.error().message;
  };
  EXPECT_EQ(message_of("nope"), "message is not JSON");
  EXPECT_EQ(message_of("[]"), "message is not a JSON object");
  EXPECT_EQ(message_of(Message({Record("ObjectCreated:Put", PutObject("a")),
                                Record("ObjectCreated:Put", {{"size", 1}})})
                           .dump()),
            "Records[1] has no object key");
  EXPECT_NE(message_of(Sns("{}").dump()).find("SNS"), std::string::npos);
}

}  // namespace
}  // namespace sluice
