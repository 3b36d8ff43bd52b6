// --state s3://bucket/key: sluice-watch's state kept in an S3 object, held by one watcher at a
// time (lease/leased_object.h): a replacement resumes where the last watcher stopped, a second
// watcher is refused naming the first, and one whose state was taken over stops at its next
// save. The lease rides in the state document ("lease", watch_state.h).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "sluice/aws/client_context.h"
#include "sluice/lease/leased_object.h"
#include "sluice/watch/state_store.h"

namespace sluice {

class S3StateStore : public StateStore {
 public:
  // `mine` is this watcher's lease (NewLeaseForThisProcess).
  S3StateStore(std::unique_ptr<ConditionalObject> object, StateLease mine, LeasedObjectDeps deps);

  Result<WatchState> Load() override;
  Status Save(WatchState& state) override { return Write(state, /*release=*/false); }
  Status Release(WatchState& state) override { return Write(state, /*release=*/true); }
  std::chrono::milliseconds renew_every() const override { return object_.renew_every(); }
  const std::string& name() const override { return object_.uri(); }

 private:
  Status Write(WatchState& state, bool release);

  LeasedObject object_;
};

// The store --state names: s3://bucket/key (needs `context`), else a local file. An
// Error::InvalidArgument says what --state should look like.
struct StateStoreOptions {
  std::chrono::milliseconds lease{60000};
};
Result<std::unique_ptr<StateStore>> MakeStateStore(const std::string& state,
                                                   std::shared_ptr<const ClientContext> context,
                                                   const StateStoreOptions& options,
                                                   LeasedObjectDeps deps);

}  // namespace sluice
