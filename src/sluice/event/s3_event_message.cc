#include "sluice/event/s3_event_message.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "sluice/util/time_format.h"
#include "sluice/util/uri.h"

namespace sluice {
namespace {

using nlohmann::json;

// Anyone allowed to send to the queue decides what a body holds, so every field is looked up
// with find() and type-checked before it is read: a hostile or merely odd body must give an
// error, never an exception or a crash.

// The member `name` of `object` when it is a string; nullptr when it is missing or not a string.
const std::string* FindString(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

// The member `name` of `object` when it is an object; nullptr otherwise.
const json* FindObject(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_object()) return nullptr;
  return &*it;
}

// Where a record sits in the message, so an error points at it: "Records[2]".
std::string RecordName(size_t index) { return "Records[" + std::to_string(index) + "]"; }

// S3 has sent ETags both bare and quoted (as in HTTP headers); the watcher compares them bare.
std::string Unquote(const std::string& etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    return etag.substr(1, etag.size() - 2);
  }
  return etag;
}

// The optional string member `name`: absent is empty, present with another type is an error.
std::optional<std::string> OptionalString(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Fills everything but `kind` from the pieces the two formats share (field names differ).
// `where` names the record in errors.
Result<WatchEvent> BuildEvent(const json& record, const char* time_field, const json& detail,
                              const char* etag_field, const char* version_field, bool form_encoded,
                              const std::string& where) {
  const json* bucket = FindObject(detail, "bucket");
  const std::string* bucket_name = bucket ? FindString(*bucket, "name") : nullptr;
  if (bucket_name == nullptr || bucket_name->empty()) {
    return Error::Parse(where + " has no bucket name");
  }
  const json* object = FindObject(detail, "object");
  const std::string* raw_key = object ? FindString(*object, "key") : nullptr;
  if (raw_key == nullptr || raw_key->empty()) return Error::Parse(where + " has no object key");

  const std::string* time_text = FindString(record, time_field);
  if (time_text == nullptr) return Error::Parse(where + " has no " + time_field);
  std::optional<SystemTime> time = ParseIso8601(*time_text);
  if (!time) return Error::Parse(where + " has an unreadable " + time_field);

  WatchEvent event;
  // Deletes carry no size; 0 is what the rest of sluice uses for "unknown" there.
  if (auto size = object->find("size"); size != object->end() && !size->is_null()) {
    if (!size->is_number_unsigned()) return Error::Parse(where + " has a size that is not a count");
    event.object.size = size->get<uint64_t>();
  }
  std::optional<std::string> etag = OptionalString(*object, etag_field);
  if (!etag) return Error::Parse(where + " has a " + etag_field + " that is not a string");
  std::optional<std::string> version_id = OptionalString(*object, version_field);
  if (!version_id) return Error::Parse(where + " has a " + version_field + " that is not a string");

  event.bucket = *bucket_name;
  event.key = form_encoded ? FormDecode(*raw_key) : *raw_key;
  event.uri = "s3://" + event.bucket + "/" + event.key;
  event.object.etag = Unquote(*etag);
  event.object.last_modified = *time;
  event.object.version_id = std::move(*version_id);
  event.source = "sqs";
  return event;
}

// An S3 Event Notification: {"Records": [...]}.
Result<S3EventMessage> ParseRecords(const json& records) {
  if (!records.is_array()) return Error::Parse("\"Records\" is not an array");
  S3EventMessage message;
  for (size_t i = 0; i < records.size(); ++i) {
    const json& record = records[i];
    std::string where = RecordName(i);
    if (!record.is_object()) return Error::Parse(where + " is not an object");
    const json* s3 = FindObject(record, "s3");
    const std::string* name = FindString(record, "eventName");
    // Other services (DynamoDB streams, Kinesis, ...) also send {"Records": [...]}.
    if (s3 == nullptr || name == nullptr) return Error::Parse(where + " is not an S3 event");

    ChangeKind kind;
    if (name->starts_with("ObjectCreated:")) {
      kind = ChangeKind::kCreated;
    } else if (name->starts_with("ObjectRemoved:")) {
      kind = ChangeKind::kDeleted;
    } else {
      ++message.skipped;  // restores, replication, lifecycle transitions, tagging, ACLs
      continue;
    }
    // S3 form-encodes keys in notifications ("a b.csv" arrives as "a+b.csv").
    auto event = BuildEvent(record, "eventTime", *s3, "eTag", "versionId",
                            /*form_encoded=*/true, where);
    if (!event.ok()) return event.error();
    event->kind = kind;
    message.events.push_back(std::move(*event));
  }
  return message;
}

// An EventBridge event from S3: one change per message, keys not encoded.
Result<S3EventMessage> ParseEventBridge(const json& body) {
  const std::string* detail_type = FindString(body, "detail-type");
  const json* detail = FindObject(body, "detail");
  if (detail_type == nullptr || detail == nullptr) {
    return Error::Parse("EventBridge event has no \"detail-type\" or \"detail\"");
  }
  S3EventMessage message;
  ChangeKind kind;
  if (*detail_type == "Object Created") {
    kind = ChangeKind::kCreated;
  } else if (*detail_type == "Object Deleted") {
    kind = ChangeKind::kDeleted;
  } else {
    message.skipped = 1;  // "Object Restore Completed", "Object Tags Added", ...
    return message;
  }
  auto event = BuildEvent(body, "time", *detail, "etag", "version-id", /*form_encoded=*/false,
                          "EventBridge event");
  if (!event.ok()) return event.error();
  event->kind = kind;
  message.events.push_back(std::move(*event));
  return message;
}

// The three unwrapped shapes; `body` is already known to be an object.
Result<S3EventMessage> ParseUnwrapped(const json& body) {
  if (auto records = body.find("Records"); records != body.end()) return ParseRecords(*records);
  if (const std::string* event = FindString(body, "Event"); event && *event == "s3:TestEvent") {
    S3EventMessage message;
    message.test_event = true;
    return message;
  }
  if (const std::string* source = FindString(body, "source"); source && *source == "aws.s3") {
    return ParseEventBridge(body);
  }
  return Error::Parse("not an S3 event notification (no \"Records\")");
}

}  // namespace

Result<S3EventMessage> ParseS3EventMessage(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error::Parse("message is not JSON");
  if (!j.is_object()) return Error::Parse("message is not a JSON object");

  // SNS fan-out delivers the S3 event as a string inside its own envelope (unless raw message
  // delivery is on, in which case the body is the event itself).
  const std::string* type = FindString(j, "Type");
  if (type && *type == "Notification") {
    const std::string* inner_text = FindString(j, "Message");
    if (inner_text == nullptr) return Error::Parse("SNS notification has no \"Message\"");
    json inner = json::parse(*inner_text, nullptr, /*allow_exceptions=*/false);
    if (inner.is_discarded() || !inner.is_object()) {
      return Error::Parse("SNS notification's Message is not a JSON object");
    }
    auto message = ParseUnwrapped(inner);
    if (!message.ok()) {
      return Error::Parse("SNS notification's Message: " + message.error().message);
    }
    return message;
  }
  return ParseUnwrapped(j);
}

}  // namespace sluice
