// Where sluice-watch keeps its --state: a local file, or an S3 object (s3_state_store.h) for a
// watcher whose disk does not outlive it (an ECS task). The watch loop loads the state once,
// saves it after each poll that changed it, and saves it one last time when it stops.
#pragma once

#include <chrono>
#include <string>

#include "sluice/util/result.h"
#include "sluice/watch/watch_state.h"

namespace sluice {

class StateStore {
 public:
  virtual ~StateStore() = default;
  // The state as the last watcher left it (empty on a first run). A store that allows one
  // watcher at a time claims the state here, or refuses with an Error::Config that says who
  // holds it.
  virtual Result<WatchState> Load() = 0;
  // Replaces the saved state. An error means it was not saved; for a store with a lease, also
  // that another watcher took the state over (this one must stop).
  virtual Status Save(WatchState& state) = 0;
  // The last save, when the watcher stops: a successor may take over at once.
  virtual Status Release(WatchState& state) { return Save(state); }
  // How often the state must be saved even when nothing changed, to keep a lease (0: never).
  virtual std::chrono::milliseconds renew_every() const { return std::chrono::milliseconds(0); }
  virtual const std::string& name() const = 0;
};

// A local file, replaced atomically (see watch_state.h). Two watchers on one file are not
// detected: a file is one machine's, where the user starts them.
class FileStateStore : public StateStore {
 public:
  explicit FileStateStore(std::string path) : path_(std::move(path)) {}
  Result<WatchState> Load() override { return WatchState::Load(path_); }
  Status Save(WatchState& state) override { return state.Save(path_); }
  const std::string& name() const override { return path_; }

 private:
  std::string path_;
};

}  // namespace sluice
