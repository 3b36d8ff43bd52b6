// A document kept in one S3 object by one process at a time: sluice-watch's --state and
// sluice-trigger's --journal, for a process whose disk goes with it (an ECS task: its replacement
// resumes where it stopped). Every write is an S3 conditional write (If-Match on the ETag of
// this process's last write, If-None-Match: * for the first), and the document carries a lease
// (state_lease.h), so that:
//   - a replacement started after the last holder stopped (SIGTERM: the lease is released)
//     takes the document over at once; after a kill -9 or a lost machine, once the lease lapses;
//   - a second process started while the first runs is refused, naming the first, instead of
//     doing every piece of work a second time;
//   - a holder whose document was taken over while it was paused or cut off (longer than its
//     lease) is refused at its next write rather than carrying on beside its successor.
// What the document is, and where its lease sits in it, is the caller's: it passes how to read
// the lease out of the bytes and how to write the bytes with a given lease.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sluice/lease/conditional_object.h"
#include "sluice/lease/state_lease.h"
#include "sluice/util/clock.h"

namespace sluice {

struct LeasedObjectDeps {
  Clock* clock = nullptr;
  // Sleeps up to the duration; false when interrupted.
  std::function<bool(std::chrono::milliseconds)> sleep;
  std::function<void(const std::string&)> log;
};

// How messages name the holder and its flag: {"sluice-watch", "--state"}.
struct LeaseHolderNames {
  std::string tool;
  std::string flag;
};

class LeasedObject {
 public:
  // The lease in a document's bytes: nullopt when it has none; an error (naming the object)
  // when the bytes are not a document of its kind.
  using LeaseReader = std::function<Result<std::optional<StateLease>>(const std::string& body)>;
  // The document's bytes, carrying `lease`.
  using BodyWriter = std::function<std::string(const StateLease& lease)>;

  // `mine` is this process's lease (NewLeaseForThisProcess).
  LeasedObject(std::unique_ptr<ConditionalObject> object, StateLease mine, LeaseHolderNames names,
               LeaseReader read_lease, LeasedObjectDeps deps);

  // Reads the document and claims it: at once when there is none, or it is unheld or released;
  // after its lease lapsed when another process held it and stopped renewing; never while that
  // one renews (an Error::Config naming it). Returns the bytes found (nullopt: none); the
  // claim wrote `claimed(found)` with this process's lease.
  Result<std::optional<std::string>> Claim(
      const std::function<BodyWriter(const std::optional<std::string>& found)>& claimed);
  // Replaces the document with `body(next lease)`; with `release`, that lease is released.
  // An error means it was not written; when another process took the document over, an
  // Error::Config that says so, for which IsTakenOver() holds (this process must stop).
  Status Write(const BodyWriter& body, bool release);

  std::chrono::milliseconds renew_every() const { return mine_.duration / 3; }
  const std::string& uri() const { return object_->uri(); }

 private:
  // Watches the object for up to `wait` while `held` holds it: true when it did not change
  // (the lease lapsed), false when it did (judge again); an error when interrupted.
  Result<bool> LapsedWithoutRenewal(const std::string& etag, const StateLease& held,
                                    std::chrono::milliseconds wait);
  Error InUse(const StateLease& holder) const;

  std::unique_ptr<ConditionalObject> object_;
  StateLease mine_;
  LeaseHolderNames names_;
  LeaseReader read_lease_;
  std::string etag_;  // of this process's last write; empty until the document is claimed
  LeasedObjectDeps deps_;
};

// Whether a Write failed because another process took the document over or something else
// replaced it: the holder must stop.
bool IsTakenOver(const Error& e);
// An Error::Config saying so, for which IsTakenOver() holds.
Error TakenOverError(std::string message);

// "cannot read the state s3://b/k: <error>", with the permissions an AccessDenied needs.
Error CannotUseLeasedObject(const std::string& uri, const std::string& what, const Error& e);

}  // namespace sluice
