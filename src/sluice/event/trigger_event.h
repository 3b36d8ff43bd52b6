// What sluice-trigger reads: one JSON object per input line, in sluice-watch's schema (see
// watch_event.h), or a raw S3 Event Notification ({"Records": [...]}, one record per event),
// a single notification record, an SNS-wrapped notification or an EventBridge S3 event. All of
// them become TriggerEvents with sluice-watch's fields, so actions and templates see one shape.
// Pure: no I/O.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/util/clock.h"
#include "sluice/util/result.h"

namespace sluice {

struct TriggerEvent {
  nlohmann::json fields = nlohmann::json::object();  // sluice-watch's schema; unknown fields kept
  size_t line = 0;                                   // input line it came from (1-based)

  std::string uri() const;
  std::string kind() const;  // "created", "updated", ... ("created" when the line had none)
  // A top-level field as text (numbers and booleans formatted); nullopt when absent or null.
  std::optional<std::string> Field(std::string_view name) const;
  // What makes this event the same as another: kind, uri and the object's version (version id,
  // ETag, Last-Modified). Seeing the same identity twice means the event was delivered twice.
  std::string Identity() const;
  // The identity as 32 hex digits (a SHA-256 prefix), the same on every machine that reads the
  // event: SLUICE_EVENT_ID, for actions that deduplicate their own side effects.
  std::string Id() const;
};

// Parses one input line. An error (kind kParse) says what is wrong, without the line number
// (the caller adds it). A notification may hold several records, hence several events; an
// s3:TestEvent holds none. `now` fills detected_at where the input has none.
Result<std::vector<TriggerEvent>> ParseTriggerLine(std::string_view line, size_t line_number,
                                                   SystemTime now);

}  // namespace sluice
