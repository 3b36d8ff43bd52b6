// The S3 watchers: S3 HEAD for one object, S3 ListObjectsV2 for a prefix (the Watcher interface
// is watcher.h). Thread-safe: the loop polls many watchers from a small pool of threads over one
// shared HTTP client.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sluice/services/s3_client.h"
#include "sluice/util/result.h"
#include "sluice/watch/watch_target.h"
#include "sluice/watch/watcher.h"

namespace sluice {

// One object, with HEAD. Not a conditional HEAD: S3 answers If-None-Match with 304 whenever the
// ETag matches, so a rewrite with identical bytes (new Last-Modified, same ETag) would be
// missed, and the request costs the same either way (HEAD has no body to save).
std::unique_ptr<Watcher> MakeS3ObjectWatcher(std::shared_ptr<S3Client> s3, WatchTarget target);

// Every object under a prefix, with ListObjectsV2 (1,000 keys per request, all pages).
std::unique_ptr<Watcher> MakeS3PrefixWatcher(std::shared_ptr<S3Client> s3, WatchTarget target);

}  // namespace sluice
