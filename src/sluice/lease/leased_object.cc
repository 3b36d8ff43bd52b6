#include "sluice/lease/leased_object.h"

#include <algorithm>

#include "sluice/util/duration.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;

// A lost race is judged again from what is there now; more losses than this in a row mean
// several processes are fighting over the document.
constexpr int kClaimAttempts = 5;

constexpr const char* kTakenOverCode = "StateTakenOver";

}  // namespace

Error TakenOverError(std::string message) {
  Error e = Error::Config(std::move(message));
  e.code = kTakenOverCode;
  return e;
}

bool IsTakenOver(const Error& e) { return e.code == kTakenOverCode; }

Error CannotUseLeasedObject(const std::string& uri, const std::string& what, const Error& e) {
  if (e.kind == ErrorKind::kInterrupted) return e;
  std::string hint = e.code == "AccessDenied"
                         ? " (a state in S3 needs s3:GetObject and s3:PutObject on its object)"
                         : "";
  return Error::Config("cannot " + what + " the state " + uri + ": " + e.ToString() + hint);
}

LeasedObject::LeasedObject(std::unique_ptr<ConditionalObject> object, StateLease mine,
                           LeaseHolderNames names, LeaseReader read_lease, LeasedObjectDeps deps)
    : object_(std::move(object)),
      mine_(std::move(mine)),
      names_(std::move(names)),
      read_lease_(std::move(read_lease)),
      deps_(std::move(deps)) {}

Error LeasedObject::InUse(const StateLease& holder) const {
  return Error::Config("the state " + uri() + " is in use by another " + names_.tool + " (" +
                       holder.Describe() + "), which renews its lease: two on one state would "
                       "do every piece of work twice. Stop that one, or give this one a " +
                       names_.flag + " of its own");
}

Result<std::optional<std::string>> LeasedObject::Claim(
    const std::function<BodyWriter(const std::optional<std::string>& found)>& claimed) {
  for (int attempt = 0; attempt < kClaimAttempts; ++attempt) {
    auto got = object_->Get();
    if (!got.ok()) return CannotUseLeasedObject(uri(), "read", got.error());
    std::optional<std::string> found;
    std::string etag;
    if (got->has_value()) {
      StoredObject& stored = **got;
      auto lease = read_lease_(stored.body);
      if (!lease.ok()) return lease.error();
      etag = stored.etag;
      LeaseWait wait = WaitForLease(*lease, mine_.owner, stored.age);
      if (!wait.free) {
        const StateLease& held = **lease;
        deps_.log("the state " + uri() + " is held by " + held.Describe() + "; waiting up to " +
                  FormatDuration(wait.wait) + " for its lease to lapse (a running " +
                  names_.tool + " renews it every " + FormatDuration(held.duration / 3) + ")");
        auto lapsed = LapsedWithoutRenewal(etag, held, wait.wait);
        if (!lapsed.ok()) return lapsed.error();
        if (!*lapsed) {
          // Written meanwhile: renewed (refused), or released (free): read it again to tell.
          auto again = object_->Get();
          if (!again.ok()) return CannotUseLeasedObject(uri(), "read", again.error());
          if (again->has_value()) {
            auto now_held = read_lease_((*again)->body);
            if (!now_held.ok()) return now_held.error();
            if (*now_held && !(*now_held)->released && (*now_held)->owner != mine_.owner) {
              return InUse(**now_held);
            }
          }
          continue;  // released or deleted meanwhile: claim what is there now
        }
        deps_.log("the lease of " + held.Describe() + " on " + uri() +
                  " lapsed without a renewal: taking the state over");
      }
      if (*lease) mine_.sequence = std::max(mine_.sequence, (*lease)->sequence);
      found = std::move(stored.body);
    }
    ++mine_.sequence;
    mine_.released = false;
    auto put = object_->Put(claimed(found)(mine_), etag);
    if (put.ok()) {
      etag_ = *put;
      return found;
    }
    if (!IsConditionFailure(put.error())) return CannotUseLeasedObject(uri(), "claim", put.error());
    // Another process wrote it between this one's read and write: judge what is there now.
  }
  return Error::Config("the state " + uri() + " kept changing while this " + names_.tool +
                       " tried to claim it: others are using it; stop them, or give this one a " +
                       names_.flag + " of its own");
}

Result<bool> LeasedObject::LapsedWithoutRenewal(const std::string& etag, const StateLease& held,
                                                milliseconds wait) {
  // Often enough to see a renewal soon after it happens, without a HEAD a second on a long lease.
  milliseconds every = std::clamp(held.duration / 6, milliseconds(250), milliseconds(5000));
  auto deadline = deps_.clock->Now() + wait;
  while (true) {
    auto now = deps_.clock->Now();
    if (now >= deadline) return true;
    auto step = std::min(every, std::chrono::duration_cast<milliseconds>(deadline - now));
    if (!deps_.sleep(step)) {
      return Error::Interrupted("interrupted while waiting for the lease on " + uri());
    }
    auto current = object_->CurrentEtag();
    if (!current.ok()) return CannotUseLeasedObject(uri(), "read", current.error());
    if (!current->has_value() || **current != etag) return false;
  }
}

Status LeasedObject::Write(const BodyWriter& body, bool release) {
  if (etag_.empty()) return Error::InvalidArgument("the state " + uri() + " was never claimed");
  StateLease next = mine_;
  ++next.sequence;
  next.released = release;
  std::string bytes = body(next);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto put = object_->Put(bytes, etag_);
    if (put.ok()) {
      etag_ = *put;
      mine_ = next;
      return Status::Ok();
    }
    if (!IsConditionFailure(put.error())) return CannotUseLeasedObject(uri(), "save", put.error());
    // Refused: another process took the document over, or this very write landed and its
    // answer was lost (the retry then finds its own ETag changed), or a 409 raced it.
    auto got = object_->Get();
    if (!got.ok()) return CannotUseLeasedObject(uri(), "read", got.error());
    if (got->has_value()) {
      if ((*got)->etag == etag_) continue;  // 409: nothing changed; write again
      auto lease = read_lease_((*got)->body);
      if (lease.ok() && *lease && (*lease)->owner == mine_.owner &&
          (*lease)->sequence == next.sequence) {
        etag_ = (*got)->etag;
        mine_ = next;
        return Status::Ok();
      }
      if (lease.ok() && *lease && (*lease)->owner != mine_.owner) {
        return TakenOverError("the state " + uri() + " was taken over by another " + names_.tool +
                             " (" + (*lease)->Describe() + ") while this one was not heard from "
                             "for longer than its lease (" + FormatDuration(mine_.duration) +
                             "): this one stops, so that no work is done twice (a longer lease "
                             "gives a slow or paused one more time)");
      }
    }
    break;
  }
  return TakenOverError("the state " + uri() + " was changed or deleted by something other than "
                   "this " + names_.tool + ": it stops, so that no work is done twice; find "
                   "what writes there, or give it a " + names_.flag + " of its own");
}

}  // namespace sluice
