#include "sluice/event/trigger_event.h"

#include "sluice/event/s3_event_message.h"
#include "sluice/event/watch_event.h"
#include "sluice/util/crypto.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

using nlohmann::json;

bool IsS3NotificationRecord(const json& j) {
  auto source = j.find("eventSource");
  return source != j.end() && source->is_string() && *source == "aws:s3";
}

bool IsNotification(const json& j) {
  if (j.contains("Records")) return true;
  auto event = j.find("Event");  // s3:TestEvent
  if (event != j.end() && event->is_string() && *event == "s3:TestEvent") return true;
  auto type = j.find("Type");  // SNS
  if (type != j.end() && type->is_string() && *type == "Notification") return true;
  auto source = j.find("source");  // EventBridge
  return source != j.end() && source->is_string() && *source == "aws.s3" && j.contains("detail");
}

// s3://bucket/key -> bucket, key, for hand-written lines that carry only a uri.
void FillBucketAndKey(json& fields, const std::string& uri) {
  constexpr std::string_view kScheme = "s3://";
  if (uri.rfind(kScheme, 0) != 0) return;
  std::string rest = uri.substr(kScheme.size());
  size_t slash = rest.find('/');
  if (!fields.contains("bucket")) fields["bucket"] = rest.substr(0, slash);
  if (!fields.contains("key") && slash != std::string::npos) fields["key"] = rest.substr(slash + 1);
}

}  // namespace

std::string TriggerEvent::uri() const { return Field("uri").value_or(""); }

std::string TriggerEvent::kind() const { return Field("event").value_or("created"); }

std::optional<std::string> TriggerEvent::Field(std::string_view name) const {
  auto it = fields.find(name);
  if (it == fields.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_unsigned()) return std::to_string(it->get<uint64_t>());
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  if (it->is_boolean()) return it->get<bool>() ? "true" : "false";
  return it->dump();
}

std::string TriggerEvent::Identity() const {
  std::string id = kind();
  for (const char* name : {"uri", "version_id", "etag", "last_modified"}) {
    id += '\n';
    id += Field(name).value_or("");
  }
  return id;
}

std::string TriggerEvent::Id() const { return Sha256Hex(Identity()).substr(0, 32); }

Result<std::vector<TriggerEvent>> ParseTriggerLine(std::string_view line, size_t line_number,
                                                   SystemTime now) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error::Parse("not JSON");
  if (!j.is_object()) return Error::Parse("not a JSON object");

  std::vector<TriggerEvent> events;
  if (IsS3NotificationRecord(j) || IsNotification(j)) {
    // One bare record (what `jq -c '.Records[]'` gives) is wrapped into a notification.
    std::string body = IsS3NotificationRecord(j) ? json{{"Records", json::array({j})}}.dump()
                                                 : std::string(line);
    auto message = ParseS3EventMessage(body);
    if (!message.ok()) return message.error();
    for (WatchEvent& event : message->events) {
      event.source = "notification";
      event.detected_at = now;
      events.push_back({ToJson(event), line_number});
    }
    return events;
  }

  auto uri = j.find("uri");
  if (uri == j.end() || !uri->is_string() || uri->get<std::string>().empty()) {
    return Error::Parse("no \"uri\" field: expected a sluice-watch event or an S3 notification");
  }
  auto kind = j.find("event");
  if (kind != j.end() && !(kind->is_string() && ParseChangeKind(kind->get<std::string>()))) {
    return Error::Parse("\"event\" must be created, updated, deleted or exists");
  }
  FillBucketAndKey(j, uri->get<std::string>());
  if (!j.contains("detected_at")) j["detected_at"] = FormatIso8601(now);
  events.push_back({std::move(j), line_number});
  return events;
}

}  // namespace sluice
