// What a watcher sees of its target at one moment: each object's (or file's) version by key.
// The watch loop diffs two snapshots into events (watch_event.h), and sluice-watch's --state file
// keeps the last one per target (sluice/watch/watch_state.h). Pure data.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "sluice/util/clock.h"

namespace sluice {

// What identifies one version of an object: a change in any field is an update (a rewrite with
// identical bytes keeps the ETag but moves Last-Modified, and the version id in versioned
// buckets).
struct ObjectVersion {
  std::string etag;
  uint64_t size = 0;
  SystemTime last_modified{};
  std::string version_id;

  bool operator==(const ObjectVersion&) const = default;
};

// key (or file path) -> what was seen.
using Snapshot = std::map<std::string, ObjectVersion>;

}  // namespace sluice
