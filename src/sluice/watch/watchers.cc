#include "sluice/watch/watchers.h"

#include <algorithm>

namespace sluice {

Result<WatcherSet> MakeWatchers(std::vector<WatchTarget> targets,
                                std::shared_ptr<const ClientContext> context) {
  WatcherSet set;
  if (std::any_of(targets.begin(), targets.end(),
                  [](const WatchTarget& t) { return t.kind == WatchTarget::kLocal; })) {
    auto waiter = ChangeWaiter::Make(targets);
    if (!waiter.ok()) return waiter.error();
    set.waiter = std::move(waiter).value();
  }
  std::shared_ptr<S3Client> s3;
  for (WatchTarget& target : targets) {
    if (target.kind == WatchTarget::kLocal) {
      set.watchers.push_back(MakeLocalWatcher(std::move(target)));
      continue;
    }
    if (!s3) {
      if (!context) return Error::Config("S3 targets need an AWS client context");
      auto made = S3Client::Make(context);
      if (!made.ok()) return made.error();
      s3 = std::move(made).value();
    }
    set.watchers.push_back(target.kind == WatchTarget::kS3Object
                               ? MakeS3ObjectWatcher(s3, std::move(target))
                               : MakeS3PrefixWatcher(s3, std::move(target)));
  }
  return set;
}

}  // namespace sluice
