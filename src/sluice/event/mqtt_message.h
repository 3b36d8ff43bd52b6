// Turns the payload of an MQTT message into sluice-watch events (pure). A payload may be:
//   - sluice-watch event lines (what `sluice-trigger --publish` sends), one or more;
//   - an S3 Event Notification, SNS-wrapped or not, or an EventBridge S3 event;
//   - a bare path or URI, one per line: /cache/a.parquet, file:///cache/a.parquet or
//     s3://bucket/key, which becomes a `created` event.
// Each event gets source "mqtt", the message's topic, detected_at now, and retained: true when
// the broker sent it as the topic's retained message. A bare path names no version, so two
// messages naming one path are the same event to a journal (sluice-trigger --journal).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "sluice/util/clock.h"
#include "sluice/util/result.h"

namespace sluice {

// An error (kParse) says what is wrong with the payload, for a one-line warning.
Result<std::vector<nlohmann::json>> EventsFromMqttMessage(std::string_view topic,
                                                          std::string_view payload, bool retained,
                                                          SystemTime now);

}  // namespace sluice
