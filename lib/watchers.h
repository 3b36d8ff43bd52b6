// Builds the watchers for sluice-watch's targets: S3 objects and prefixes over one shared S3
// client, local paths with a ChangeWaiter that wakes the loop on inotify events.
#pragma once

#include <memory>
#include <vector>

#include "lib/client_context.h"
#include "lib/local_watcher.h"
#include "lib/s3_watcher.h"

namespace sluice {

struct WatcherSet {
  std::vector<std::unique_ptr<Watcher>> watchers;
  std::unique_ptr<ChangeWaiter> waiter;  // set when any target is local
};

// `context` may be null when every target is local.
Result<WatcherSet> MakeWatchers(std::vector<WatchTarget> targets,
                                std::shared_ptr<const ClientContext> context);

}  // namespace sluice
