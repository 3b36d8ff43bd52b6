// The --state file of sluice-watch: what was last seen of each watched object, so that after a
// restart changes made while the watcher was down are emitted once, and nothing already emitted
// is emitted again. Saved atomically (write a temporary file beside it, fsync, rename, fsync the
// directory), so a crash or kill -9 leaves either the old state or the new one, never a torn
// file.
//
// Format (JSON, versioned so it can grow):
//   {"version": 1, "targets": {"s3://bucket/prefix/": {"key": {"etag": "...", "size": 1,
//    "last_modified": "2026-11-23T10:00:00Z", "version_id": "..."}, ...}, ...},
//    "replay": [{...event...}, ...]}
// "replay" (optional) holds the events emitted last that the reader may not have taken when the
// state was saved (still in the pipe): they are sent again, marked "replayed", at the next start.
// "lease" (only in a state kept in S3) names the watcher holding it: see state_lease.h.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/event/snapshot.h"
#include "sluice/util/result.h"
#include "sluice/lease/state_lease.h"

namespace sluice {

class WatchState {
 public:
  // A missing file is an empty state; an unreadable or malformed one is an Error::Config naming
  // the file (never silently discarded: that would emit everything again).
  static Result<WatchState> Load(const std::string& path);
  // Serialises and replaces the file atomically.
  Status Save(const std::string& path) const;

  // Pure, for tests.
  static Result<WatchState> Parse(std::string_view json, const std::string& path_for_errors);
  std::string Serialize() const;

  // nullptr when the target was never seen.
  const Snapshot* Find(const std::string& target) const;
  void Set(const std::string& target, Snapshot snapshot);

  const std::vector<nlohmann::json>& Replay() const { return replay_; }
  void SetReplay(std::vector<nlohmann::json> events) { replay_ = std::move(events); }

  const std::optional<StateLease>& Lease() const { return lease_; }
  void SetLease(StateLease lease) { lease_ = std::move(lease); }

 private:
  std::map<std::string, Snapshot> targets_;
  std::vector<nlohmann::json> replay_;
  std::optional<StateLease> lease_;
};

}  // namespace sluice
