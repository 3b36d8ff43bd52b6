// The watch loop of sluice-watch: polls every watcher each interval (several at once, over the
// shared connections), diffs each new snapshot against the last one, writes the changes as
// events, and keeps the --state file in step. Events are written before the state that
// records them is saved, so a crash can repeat an event but never lose one.
//
// Exit codes: 0 after the first event with --once (or when stdout closes), 124 when --timeout
// passes without an event (counted from the start and from each event), 130 on SIGINT/SIGTERM
// (state saved), 1 when a target cannot be watched at all (missing bucket, access denied) or
// the state cannot be used (unreadable, held by another watcher, taken over by one).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sluice/event/watch_event.h"
#include "sluice/util/clock.h"
#include "sluice/util/glob.h"
#include "sluice/watch/state_store.h"
#include "sluice/watch/watcher.h"

namespace sluice {

struct WatchOptions {
  std::chrono::milliseconds interval{10000};
  bool once = false;
  std::chrono::milliseconds timeout{0};  // exit 124 after this long without an event; 0: never
  bool initial = false;                  // first emit `exists` for what is there
  std::vector<ChangeKind> events = {ChangeKind::kCreated, ChangeKind::kUpdated,
                                    ChangeKind::kDeleted};
  std::vector<Glob> include;  // empty: every key
  std::vector<Glob> exclude;
  int max_parallel = 16;      // polls in flight at once
  // --sqs-queue: delete a message once its events are written (--delete-on-emit) rather than
  // hand it to the reader to delete when their work is done.
  bool delete_on_emit = false;
};

struct WatchDeps {
  Clock* clock = nullptr;
  // --state: where the state is kept (null: nowhere).
  StateStore* state = nullptr;
  // Writes one event line; false when the reader has gone (stdout closed).
  std::function<bool(const nlohmann::json&)> emit;
  // Sleeps up to the duration; false when interrupted (SIGINT/SIGTERM).
  std::function<bool(std::chrono::milliseconds)> sleep;
  std::function<bool()> interrupted;
  std::function<void(const std::string&)> log;  // one human-readable line to stderr
  // With --state: how many bytes of what was emitted the reader has not read yet (0 when
  // output goes to a file, nullopt when it cannot be known). Unset: 0.
  std::function<std::optional<size_t>()> unread_output;
};

// Runs until --once, --timeout, an interrupt, or a fatal error; returns the exit code. With
// --state, the events the reader had not read when the state was saved are saved with it and
// sent again, with "replayed": true, at the next start (a reader killed with lines in the pipe
// loses none); a reader that remembers what it handled (sluice-trigger --journal) drops those
// it has.
int RunWatch(const WatchOptions& options, std::vector<std::unique_ptr<Watcher>> watchers,
             const WatchDeps& deps);

// Whether an event for `key` passes --include/--exclude (pure).
bool KeySelected(const WatchOptions& options, std::string_view key);

}  // namespace sluice
