// Which SQS message an event came from, carried in the event line's "sqs" field so that the
// reader that does the work (sluice-trigger) can acknowledge the message when the work is done:
//   "sqs": {"queue_url": "...", "message_id": "...", "receipt_handle": "...",
//           "receive_count": 1, "events": 1, "index": 0}
// A message holds `events` events that were emitted (an S3 notification may hold several
// records); it is done when each of them, index 0 to events - 1, is. Readers that do not
// acknowledge ignore the field. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace sluice {

struct SqsMessageRef {
  std::string queue_url;
  std::string message_id;
  std::string receipt_handle;  // of this delivery: SQS honours only the newest
  int receive_count = 0;       // SQS's ApproximateReceiveCount; 0 when not known
  int events = 1;
  int index = 0;
};

nlohmann::json ToJson(const SqsMessageRef& ref);

// The "sqs" field of an event's fields; nullopt when absent or not well formed (a line from
// another source, or edited by hand: it is then an event nobody acknowledges).
std::optional<SqsMessageRef> FindSqsMessageRef(const nlohmann::json& event_fields);

}  // namespace sluice
