// Watchers turn one target into snapshots (key -> version), one per Poll(); the watch loop
// (watch_loop.h) diffs consecutive snapshots into events. One implementation per way of
// looking: S3 HEAD for one object, S3 ListObjectsV2 for a prefix. Thread-safe: the loop polls
// many watchers from a small pool of threads over one shared HTTP client.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sluice/services/s3_client.h"
#include "sluice/util/result.h"
#include "sluice/watch/watch_state.h"
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

// One object, with HEAD. Not a conditional HEAD: S3 answers If-None-Match with 304 whenever the
// ETag matches, so a rewrite with identical bytes (new Last-Modified, same ETag) would be
// missed, and the request costs the same either way (HEAD has no body to save).
std::unique_ptr<Watcher> MakeS3ObjectWatcher(std::shared_ptr<S3Client> s3, WatchTarget target);

// Every object under a prefix, with ListObjectsV2 (1,000 keys per request, all pages).
std::unique_ptr<Watcher> MakeS3PrefixWatcher(std::shared_ptr<S3Client> s3, WatchTarget target);

}  // namespace sluice
