#include "sluice/event/mqtt_message.h"

#include <filesystem>

#include "sluice/event/trigger_event.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

using nlohmann::json;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

Result<json> EventFromPath(std::string_view line) {
  json event = {{"event", "created"}};
  if (line.starts_with("s3://")) {
    std::string_view rest = line.substr(5);
    size_t slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos || slash + 1 == rest.size()) {
      return Error::Parse("\"" + std::string(line) + "\" is not s3://bucket/key");
    }
    event["uri"] = std::string(line);
    event["bucket"] = std::string(rest.substr(0, slash));
    event["key"] = std::string(rest.substr(slash + 1));
    return event;
  }
  std::string_view path = line.starts_with("file://") ? line.substr(7) : line;
  if (!path.starts_with("/")) {
    return Error::Parse(
        "expected a sluice-watch event, an S3 notification, an absolute path or "
        "an s3:// or file:// URI");
  }
  std::string normal = std::filesystem::path(std::string(path)).lexically_normal().string();
  event["uri"] = "file://" + normal;
  event["bucket"] = "";
  event["key"] = normal;
  return event;
}

}  // namespace

Result<std::vector<json>> EventsFromMqttMessage(std::string_view topic, std::string_view payload,
                                                bool retained, SystemTime now) {
  std::vector<json> events;
  size_t start = 0;
  while (start < payload.size()) {
    size_t end = payload.find('\n', start);
    std::string_view line = Trim(payload.substr(
        start, end == std::string_view::npos ? std::string_view::npos : end - start));
    start = end == std::string_view::npos ? payload.size() : end + 1;
    if (line.empty()) continue;
    if (line.find('\0') != std::string_view::npos) return Error::Parse("a payload with a NUL byte");
    if (line.front() == '{') {
      auto parsed = ParseTriggerLine(line, 0, now);
      if (!parsed.ok()) return parsed.error();
      for (TriggerEvent& e : *parsed) events.push_back(std::move(e.fields));
    } else {
      auto event = EventFromPath(line);
      if (!event.ok()) return event.error();
      events.push_back(std::move(event).value());
    }
  }
  if (events.empty() && payload.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    return events;  // an s3:TestEvent: nothing to do
  }
  if (payload.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Error::Parse("an empty payload");
  }
  for (json& event : events) {
    // The message this came from is someone else's to acknowledge (the publisher's queue), and
    // a replay was the publisher's: neither is this watcher's.
    event.erase("sqs");
    event.erase("replayed");
    event["source"] = "mqtt";
    event["topic"] = std::string(topic);
    event["detected_at"] = FormatIso8601(now);
    if (retained) event["retained"] = true;
  }
  return events;
}

}  // namespace sluice
