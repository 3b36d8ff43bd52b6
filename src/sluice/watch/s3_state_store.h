// --state s3://bucket/key: sluice-watch's state kept in an S3 object, for a watcher whose disk
// goes with it (an ECS task: its replacement resumes where it stopped). Every write is an S3
// conditional write (If-Match on the ETag of the last write, If-None-Match: * for the first),
// and the state carries a lease (state_lease.h), so that:
//   - a replacement started after the last watcher stopped (SIGTERM: the lease is released)
//     takes the state over at once; after a kill -9 or a lost machine, once the lease lapses;
//   - a second watcher started while the first runs is refused with exit 1, naming the first,
//     instead of emitting every change a second time;
//   - a watcher whose state was taken over while it was paused or cut off (longer than its
//     lease) stops at its next save rather than carrying on beside its successor.
// The object needs s3:GetObject and s3:PutObject (a conditional write needs both).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sluice/aws/client_context.h"
#include "sluice/util/clock.h"
#include "sluice/watch/state_store.h"

namespace sluice {

class S3Client;

struct StoredObject {
  std::string body;
  std::string etag;
  // How long ago it was last written, in the store's own clock (S3's Date minus Last-Modified).
  std::optional<std::chrono::milliseconds> age;
};

// One object read and replaced only if nobody replaced it meanwhile: the few S3 calls the store
// needs, behind an interface so that its logic is tested without a network.
class ConditionalObject {
 public:
  virtual ~ConditionalObject() = default;
  // nullopt when there is no object.
  virtual Result<std::optional<StoredObject>> Get() = 0;
  // Its ETag alone (HEAD), cheaper than Get for a large state; nullopt when there is none.
  virtual Result<std::optional<std::string>> CurrentEtag() = 0;
  // Writes `body` only if the object's ETag is still `if_match` (empty: only if there is no
  // object). Returns the new ETag. A condition that failed is an error for which
  // IsConditionFailure() holds.
  virtual Result<std::string> Put(const std::string& body, const std::string& if_match) = 0;
  virtual const std::string& uri() const = 0;
};

// 412 PreconditionFailed, 409 ConditionalRequestConflict, or 404 to an If-Match write.
bool IsConditionFailure(const Error& e);

std::unique_ptr<ConditionalObject> MakeS3ConditionalObject(std::shared_ptr<S3Client> client,
                                                           std::string bucket, std::string key);

struct S3StateStoreDeps {
  Clock* clock = nullptr;
  // Sleeps up to the duration; false when interrupted.
  std::function<bool(std::chrono::milliseconds)> sleep;
  std::function<void(const std::string&)> log;
};

class S3StateStore : public StateStore {
 public:
  // `mine` is this watcher's lease (NewLeaseForThisProcess).
  S3StateStore(std::unique_ptr<ConditionalObject> object, StateLease mine, S3StateStoreDeps deps)
      : object_(std::move(object)), mine_(std::move(mine)), deps_(std::move(deps)) {}

  // Reads the state and claims it: at once when it is new, unheld or released; after its
  // lease lapsed when another watcher held it and stopped renewing; never while that one
  // renews (an Error::Config naming it).
  Result<WatchState> Load() override;
  Status Save(WatchState& state) override;
  Status Release(WatchState& state) override;
  std::chrono::milliseconds renew_every() const override { return mine_.duration / 3; }
  const std::string& name() const override { return object_->uri(); }

 private:
  // Watches the object for up to `wait` while `held` holds it: true when it did not change
  // (the lease lapsed), false when it did (judge again); an error when interrupted.
  Result<bool> LapsedWithoutRenewal(const std::string& etag, const StateLease& held,
                                    std::chrono::milliseconds wait);
  Status Write(WatchState& state, bool release);

  std::unique_ptr<ConditionalObject> object_;
  StateLease mine_;
  std::string etag_;  // of this watcher's last write; empty until the state is claimed
  S3StateStoreDeps deps_;
};

// The store --state names: s3://bucket/key (needs `context`), else a local file. An error
// says what --state should look like.
struct StateStoreOptions {
  std::chrono::milliseconds lease{60000};
};
Result<std::unique_ptr<StateStore>> MakeStateStore(const std::string& state,
                                                   std::shared_ptr<const ClientContext> context,
                                                   const StateStoreOptions& options,
                                                   S3StateStoreDeps deps);

}  // namespace sluice
