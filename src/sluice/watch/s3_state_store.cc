#include "sluice/watch/s3_state_store.h"

#include <algorithm>

#include "sluice/services/s3_client.h"
#include "sluice/util/duration.h"
#include "sluice/watch/watch_target.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;

// A lost race is judged again from what is there now; more losses than this in a row mean
// several watchers are fighting over the state.
constexpr int kClaimAttempts = 5;

// A missing bucket is an error to report, not a state to create.
bool IsMissingObject(const Error& e) { return e.http_status == 404 && e.code != "NoSuchBucket"; }

class S3ConditionalObject : public ConditionalObject {
 public:
  S3ConditionalObject(std::shared_ptr<S3Client> client, std::string bucket, std::string key)
      : client_(std::move(client)),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        uri_("s3://" + bucket_ + "/" + key_) {}

  Result<std::optional<StoredObject>> Get() override {
    auto read = client_->ReadObject(bucket_, key_);
    if (!read.ok()) {
      if (IsMissingObject(read.error())) return std::optional<StoredObject>();
      return read.error();
    }
    StoredObject stored;
    stored.body = std::move(read->body);
    stored.etag = read->object.etag;
    if (read->served_at && read->object.last_modified.time_since_epoch().count() != 0) {
      stored.age = std::chrono::duration_cast<milliseconds>(*read->served_at -
                                                             read->object.last_modified);
    }
    return std::optional<StoredObject>(std::move(stored));
  }

  Result<std::optional<std::string>> CurrentEtag() override {
    auto head = client_->HeadObject(bucket_, key_);
    if (!head.ok()) {
      if (IsMissingObject(head.error())) return std::optional<std::string>();
      return head.error();
    }
    return std::optional<std::string>(head->object.etag);
  }

  Result<std::string> Put(const std::string& body, const std::string& if_match) override {
    S3WriteCondition condition;
    condition.if_match = if_match;
    condition.if_none_exists = if_match.empty();
    auto put = client_->PutObject(bucket_, key_, body, "application/json", condition);
    if (!put.ok()) return put.error();
    return put->etag;
  }

  const std::string& uri() const override { return uri_; }

 private:
  std::shared_ptr<S3Client> client_;
  std::string bucket_;
  std::string key_;
  std::string uri_;
};

Error CannotUse(const std::string& uri, const std::string& what, const Error& e) {
  Error out = e;
  out.message = "cannot " + what + " the state " + uri + ": " + e.ToString();
  out.kind = e.kind == ErrorKind::kInterrupted ? e.kind : ErrorKind::kConfig;
  return out;
}

Error InUse(const std::string& uri, const StateLease& holder) {
  return Error::Config("the state " + uri + " is in use by another sluice-watch (" +
                       holder.Describe() + "), which renews its lease: two watchers on one "
                       "state would emit every change twice. Stop that one, or give this one a "
                       "--state of its own");
}

}  // namespace

bool IsConditionFailure(const Error& e) {
  return e.kind == ErrorKind::kService &&
         (e.http_status == 412 || e.http_status == 409 || IsMissingObject(e));
}

std::unique_ptr<ConditionalObject> MakeS3ConditionalObject(std::shared_ptr<S3Client> client,
                                                           std::string bucket, std::string key) {
  return std::make_unique<S3ConditionalObject>(std::move(client), std::move(bucket),
                                               std::move(key));
}

Result<WatchState> S3StateStore::Load() {
  const std::string& uri = object_->uri();
  for (int attempt = 0; attempt < kClaimAttempts; ++attempt) {
    auto got = object_->Get();
    if (!got.ok()) return CannotUse(uri, "read", got.error());
    WatchState state;
    std::string etag;
    if (got->has_value()) {
      const StoredObject& stored = **got;
      auto parsed = WatchState::Parse(stored.body, uri);
      if (!parsed.ok()) return parsed.error();
      state = std::move(parsed).value();
      etag = stored.etag;
      LeaseWait wait = WaitForLease(state.Lease(), mine_.owner, stored.age);
      if (!wait.free) {
        const StateLease& held = *state.Lease();
        deps_.log("the state " + uri + " is held by " + held.Describe() +
                  "; waiting up to " + FormatDuration(wait.wait) +
                  " for its lease to lapse (a running watcher renews it every " +
                  FormatDuration(held.duration / 3) + ")");
        auto lapsed = LapsedWithoutRenewal(etag, held, wait.wait);
        if (!lapsed.ok()) return lapsed.error();
        if (!*lapsed) {
          // Written meanwhile: renewed (refused), or released (free): read it again to tell.
          auto again = object_->Get();
          if (!again.ok()) return CannotUse(uri, "read", again.error());
          if (again->has_value()) {
            auto reparsed = WatchState::Parse((*again)->body, uri);
            if (!reparsed.ok()) return reparsed.error();
            const auto& lease = reparsed->Lease();
            if (lease && !lease->released && lease->owner != mine_.owner) {
              return InUse(uri, *lease);
            }
          }
          continue;  // released or deleted meanwhile: claim what is there now
        }
        deps_.log("the lease of " + held.Describe() + " on " + uri +
                  " lapsed without a renewal: taking the state over");
      }
      if (state.Lease()) mine_.sequence = std::max(mine_.sequence, state.Lease()->sequence);
    }
    ++mine_.sequence;
    mine_.released = false;
    state.SetLease(mine_);
    auto put = object_->Put(state.Serialize(), etag);
    if (put.ok()) {
      etag_ = *put;
      return state;
    }
    if (!IsConditionFailure(put.error())) return CannotUse(uri, "claim", put.error());
    // Another watcher wrote it between this one's read and write: judge what is there now.
  }
  return Error::Config("the state " + uri + " kept changing while this watcher tried to claim "
                       "it: other sluice-watch processes are using it; stop them, or give this "
                       "one a --state of its own");
}

Result<bool> S3StateStore::LapsedWithoutRenewal(const std::string& etag, const StateLease& held,
                                                milliseconds wait) {
  // Often enough to see a renewal soon after it happens, without a HEAD a second on a long lease.
  milliseconds every = std::clamp(held.duration / 6, milliseconds(250), milliseconds(5000));
  auto deadline = deps_.clock->Now() + wait;
  while (true) {
    auto now = deps_.clock->Now();
    if (now >= deadline) return true;
    auto step = std::min(every, std::chrono::duration_cast<milliseconds>(deadline - now));
    if (!deps_.sleep(step)) {
      return Error::Interrupted("interrupted while waiting for the lease on " + object_->uri());
    }
    auto current = object_->CurrentEtag();
    if (!current.ok()) return CannotUse(object_->uri(), "read", current.error());
    if (!current->has_value() || **current != etag) return false;
  }
}

Status S3StateStore::Save(WatchState& state) { return Write(state, /*release=*/false); }
Status S3StateStore::Release(WatchState& state) { return Write(state, /*release=*/true); }

Status S3StateStore::Write(WatchState& state, bool release) {
  const std::string& uri = object_->uri();
  if (etag_.empty()) return Error::InvalidArgument("the state " + uri + " was never claimed");
  StateLease next = mine_;
  ++next.sequence;
  next.released = release;
  state.SetLease(next);
  std::string body = state.Serialize();
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto put = object_->Put(body, etag_);
    if (put.ok()) {
      etag_ = *put;
      mine_ = next;
      return Status::Ok();
    }
    if (!IsConditionFailure(put.error())) return CannotUse(uri, "save", put.error());
    // Refused: another watcher took the state over, or this very write landed and its answer
    // was lost (the retry then finds its own ETag changed), or a 409 raced it.
    auto got = object_->Get();
    if (!got.ok()) return CannotUse(uri, "read", got.error());
    if (got->has_value()) {
      if ((*got)->etag == etag_) continue;  // 409: nothing changed; write again
      auto parsed = WatchState::Parse((*got)->body, uri);
      if (parsed.ok() && parsed->Lease() && parsed->Lease()->owner == mine_.owner &&
          parsed->Lease()->sequence == next.sequence) {
        etag_ = (*got)->etag;
        mine_ = next;
        return Status::Ok();
      }
      if (parsed.ok() && parsed->Lease() && parsed->Lease()->owner != mine_.owner) {
        return Error::Config("the state " + uri + " was taken over by another sluice-watch (" +
                             parsed->Lease()->Describe() + ") while this one was not heard from "
                             "for longer than its lease (" + FormatDuration(mine_.duration) +
                             "): this one stops, so that no change is emitted twice (a longer "
                             "--state-lease gives a slow or paused watcher more time)");
      }
    }
    break;
  }
  return Error::Config("the state " + uri + " was changed or deleted by something other than "
                       "this sluice-watch: it stops, so that no change is emitted twice; find "
                       "what writes there, or give the watcher a --state of its own");
}

Result<std::unique_ptr<StateStore>> MakeStateStore(const std::string& state,
                                                   std::shared_ptr<const ClientContext> context,
                                                   const StateStoreOptions& options,
                                                   S3StateStoreDeps deps) {
  if (state.rfind("s3://", 0) != 0) return std::unique_ptr<StateStore>(new FileStateStore(state));
  auto target = ParseWatchTarget(state);
  if (!target.ok() || target->kind != WatchTarget::kS3Object) {
    return Error::InvalidArgument("--state " + state +
                                  ": name one object, as s3://bucket/key (not a prefix)");
  }
  auto client = S3Client::Make(std::move(context));
  if (!client.ok()) return client.error();
  std::shared_ptr<S3Client> shared = std::move(client).value();
  return std::unique_ptr<StateStore>(new S3StateStore(
      MakeS3ConditionalObject(std::move(shared), target->bucket, target->key),
      NewLeaseForThisProcess(options.lease), std::move(deps)));
}

}  // namespace sluice
