#include "sluice/watch/s3_state_store.h"

#include "sluice/watch/watch_target.h"

namespace sluice {

S3StateStore::S3StateStore(std::unique_ptr<ConditionalObject> object, StateLease mine,
                           LeasedObjectDeps deps)
    : object_(
          std::move(object), std::move(mine), {"sluice-watch", "--state"},
          [this](const std::string& body) -> Result<std::optional<StateLease>> {
            auto state = WatchState::Parse(body, object_.uri());
            if (!state.ok()) return state.error();
            return state->Lease();
          },
          std::move(deps)) {}

Result<WatchState> S3StateStore::Load() {
  // Parsed once: the claim writes back what was found, with this watcher's lease.
  WatchState state;
  auto found = object_.Claim([&](const std::optional<std::string>& body) -> LeasedObject::BodyWriter {
    state = WatchState();
    if (body) {
      auto parsed = WatchState::Parse(*body, object_.uri());
      if (parsed.ok()) state = std::move(parsed).value();
    }
    return [&state](const StateLease& lease) {
      state.SetLease(lease);
      return state.Serialize();
    };
  });
  if (!found.ok()) return found.error();
  return state;
}

Status S3StateStore::Write(WatchState& state, bool release) {
  return object_.Write(
      [&state](const StateLease& lease) {
        state.SetLease(lease);
        return state.Serialize();
      },
      release);
}

Result<std::unique_ptr<StateStore>> MakeStateStore(const std::string& state,
                                                   std::shared_ptr<const ClientContext> context,
                                                   const StateStoreOptions& options,
                                                   LeasedObjectDeps deps) {
  if (state.rfind("s3://", 0) != 0) return std::unique_ptr<StateStore>(new FileStateStore(state));
  auto target = ParseWatchTarget(state);
  if (!target.ok() || target->kind != WatchTarget::kS3Object) {
    return Error::InvalidArgument("--state " + state +
                                  ": name one object, as s3://bucket/key (not a prefix)");
  }
  auto object = OpenS3ConditionalObject(state, "--state", std::move(context));
  if (!object.ok()) return object.error();
  return std::unique_ptr<StateStore>(new S3StateStore(
      std::move(object).value(), NewLeaseForThisProcess(options.lease), std::move(deps)));
}

}  // namespace sluice
