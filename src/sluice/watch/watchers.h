// Builds the watchers for sluice-watch's targets: S3 objects and prefixes over one shared S3
// client, local paths with a ChangeWaiter that wakes the loop on inotify events.
#pragma once

#include <memory>
#include <vector>

#include "sluice/aws/client_context.h"
#include "sluice/watch/local_watcher.h"
#include "sluice/watch/s3_watcher.h"

namespace sluice {

struct WatcherSet {
  std::vector<std::unique_ptr<Watcher>> watchers;
  std::unique_ptr<ChangeWaiter> waiter;  // set when any target is local
};

// `context` may be null when every target is local.
Result<WatcherSet> MakeWatchers(std::vector<WatchTarget> targets,
                                std::shared_ptr<const ClientContext> context);

}  // namespace sluice
