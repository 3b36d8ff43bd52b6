// The event sluice-watch emits, one JSON object per line: the contract between sluice-watch and
// whatever reads its output (sluice-trigger, jq, a script). Documented in man/sluice-watch.1.
// Fields: event, uri, bucket, key, etag, size, last_modified, version_id (when known), source,
// detected_at, and sqs (the message it came from, sqs_message_ref.h). Readers must ignore fields they do not know, so the schema can grow. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/event/snapshot.h"
#include "sluice/event/sqs_message_ref.h"
#include "sluice/util/clock.h"
#include "sluice/util/result.h"

namespace sluice {

enum class ChangeKind { kCreated, kUpdated, kDeleted, kExists };

std::string_view ChangeKindName(ChangeKind kind);
std::optional<ChangeKind> ParseChangeKind(std::string_view name);
// "created,updated" -> the set; an unknown name is an error that lists the known ones.
Result<std::vector<ChangeKind>> ParseChangeKinds(std::string_view list);

struct WatchEvent {
  ChangeKind kind = ChangeKind::kCreated;
  std::string uri;     // s3://bucket/key
  std::string bucket;
  std::string key;
  ObjectVersion object;  // for kDeleted: the version last seen
  std::string source;    // "poll", "sqs", "inotify"
  SystemTime detected_at{};
  std::optional<SqsMessageRef> sqs;  // set when the reader acknowledges the message
};

nlohmann::json ToJson(const WatchEvent& event);

// One difference between two snapshots of the same target.
struct Change {
  ChangeKind kind;
  std::string key;
  ObjectVersion object;
};

// What happened between `before` and `after`, in key order: keys only in `after` were created,
// keys only in `before` deleted, keys in both whose version differs updated.
std::vector<Change> DiffSnapshots(const Snapshot& before, const Snapshot& after);

}  // namespace sluice
