// Watchers turn one target into snapshots (key -> version), one per Poll(); the watch loop
// (watch_loop.h) diffs consecutive snapshots into events. One implementation per way of
// looking: S3 HEAD or ListObjectsV2 (s3_watcher.h), stat(2) for local files (local_watcher.h).
// The interface depends on neither, so the loop and the local watcher do not pull in AWS.
// Implementations are thread-safe: the loop polls many watchers from a small pool of threads.
#pragma once

#include <string>
#include <string_view>

#include "sluice/event/snapshot.h"
#include "sluice/util/result.h"
#include "sluice/watch/watch_target.h"

namespace sluice {

class Watcher {
 public:
  virtual ~Watcher() = default;
  // Checks once that the target can be watched at all (the bucket exists and may be read), so
  // a typo fails at start with exit 1 instead of polling forever.
  virtual Status Check() = 0;
  // Watchers with the same non-empty scope share one Check ("s3://bucket" for every target in a
  // bucket): 10,000 objects in one bucket cost one HeadBucket at start, not 10,000.
  virtual std::string CheckScope() const { return ""; }
  virtual Result<Snapshot> Poll() = 0;
  virtual const WatchTarget& target() const = 0;
  virtual std::string_view source() const = 0;  // the event's "source" field
};

}  // namespace sluice
