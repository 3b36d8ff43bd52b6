// Turns a message body from an SQS queue into the object changes it reports (pure). Accepts:
//   - S3 Event Notifications: {"Records": [{"eventSource": "aws:s3", "eventName":
//     "ObjectCreated:Put", "eventTime": ..., "s3": {"bucket": {"name"}, "object": {"key",
//     "size", "eTag", "versionId", "sequencer"}}}]} — keys are form-encoded ('+' for space)
//   - the same wrapped in an SNS notification ({"Type": "Notification", "Message": "<json>"})
//   - EventBridge S3 events ({"source": "aws.s3", "detail-type": "Object Created" | "Object
//     Deleted", "time", "detail": {"bucket": {"name"}, "object": {"key", "size", "etag",
//     "version-id", "sequencer"}}}) — keys are not encoded
//   - the s3:TestEvent S3 sends when a notification is configured (no changes, not an error)
// ObjectCreated:* is `created` (S3 does not say whether a key existed before), ObjectRemoved:*
// (and EventBridge "Object Deleted") is `deleted`; other event names are skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sluice/event/watch_event.h"
#include "sluice/util/result.h"

namespace sluice {

struct S3EventMessage {
  bool test_event = false;         // s3:TestEvent: nothing to emit
  std::vector<WatchEvent> events;  // source "sqs"; detected_at left for the caller to set
  size_t skipped = 0;              // records of other kinds (restore, replication, ...)
};

// An error (kind kParse) says what is wrong with the body, for a one-line report on stderr.
Result<S3EventMessage> ParseS3EventMessage(std::string_view body);

}  // namespace sluice
