// Placeholders in sluice-trigger's arguments and --env values: "{key}" becomes the event's key.
// Parsed once at start-up, so a typo ("{kye}") is a usage error before any event is read, not a
// failure per event. Pure.
//
// Syntax: {NAME} where NAME is one of kPlaceholderNames; "{{" and "}}" are literal braces. A brace
// that does not open a lower-case name ("{print $1}", "${HOME}") is literal text, so awk programs
// and shell snippets pass through unchanged. The value is inserted as plain text: no shell ever
// sees it, so a key like "$(rm -rf ~).csv" stays a file name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sluice/event/trigger_event.h"
#include "sluice/util/result.h"

namespace sluice {

// The event's fields (sluice-watch's schema), plus basename and dirname of the key and the
// 1-based attempt number.
inline constexpr std::string_view kPlaceholderNames[] = {
    "event",  "uri",       "bucket",      "key",        "etag",     "size",    "last_modified",
    "version_id", "source", "detected_at", "basename", "dirname", "attempt"};

class EventTemplate {
 public:
  // An unknown {name} is an error that lists the known ones.
  static Result<EventTemplate> Parse(std::string_view text);

  // The text with each placeholder replaced. A field the event lacks is an error naming it
  // (version_id, which S3 only knows in versioned buckets, is empty instead).
  Result<std::string> Expand(const TriggerEvent& event, int attempt) const;
  // The same with each value escaped for the inside of a JSON string literal, for a JSON
  // document ({"key": "{key}"}) whatever the key holds.
  Result<std::string> ExpandInJson(const TriggerEvent& event, int attempt) const;

  bool has_placeholders() const;
  const std::string& text() const { return text_; }

 private:
  Result<std::string> Expand(const TriggerEvent& event, int attempt, bool json_string) const;

  struct Piece {
    bool placeholder = false;
    std::string text;  // literal text, or the placeholder's name
  };
  std::string text_;
  std::vector<Piece> pieces_;
};

}  // namespace sluice
