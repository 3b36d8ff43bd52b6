// sluice-trigger --journal FILE: what sluice-trigger accepted and how each event ended, kept on
// disk so that a kill -9 (or a crash of the machine) loses no event it had read: at the next
// start the events accepted and not finished are run first, and an event that finished in an
// earlier run is not run again when it is delivered again (sluice-watch replaying after its own
// restart, S3 sending a notification twice).
//
// Format: JSON Lines, appended as events are accepted and finished, rewritten compacted at
// each start (atomically: the old journal or the new, never a mix):
//   {"accepted": {...event fields...}, "id": "<32 hex>"}
//   {"finished": "<32 hex>", "status": "done" | "failed"}
// An accepted line is flushed to the disk (fdatasync) before its event runs; a finished line is
// only written (a crash of the machine may then run a finished event again: at least once).
// A torn last line, from a kill in the middle of a write, is ignored.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/event/trigger_event.h"
#include "sluice/util/result.h"

namespace sluice {

// What a journal holds, as read back (pure, for tests).
struct JournalContents {
  std::vector<nlohmann::json> unfinished;  // event fields, in the order they were accepted
  std::map<std::string, std::string> finished;  // id -> status
  std::deque<std::string> finished_order;       // oldest first, to bound `finished`
};

// Reads journal text; lines that are not journal lines (a torn last line) are skipped and
// counted in `skipped` when given.
JournalContents ParseJournal(std::string_view text, size_t* skipped = nullptr);
// The compacted journal: the unfinished events, then the newest `keep_finished` finished ids.
std::string SerializeJournal(const JournalContents& contents, size_t keep_finished);

class TriggerJournal {
 public:
  // How many finished identities are kept across restarts.
  static constexpr size_t kKeepFinished = 100000;

  // Reads what an earlier run left, rewrites it compacted and opens it for appending. An
  // unreadable journal is an Error::Config naming it (never silently emptied: that would run
  // finished events again).
  static Result<std::unique_ptr<TriggerJournal>> Open(const std::string& path);
  ~TriggerJournal();

  // Events an earlier run accepted and did not finish, in the order it read them.
  const std::vector<nlohmann::json>& Unfinished() const { return contents_.unfinished; }
  // How the event with this identity finished, in an earlier run or this one.
  std::optional<std::string> FinishedStatus(const TriggerEvent& event) const;

  Status Accepted(const TriggerEvent& event);
  Status Finished(const TriggerEvent& event, const std::string& status);
  const std::string& path() const { return path_; }

 private:
  TriggerJournal(std::string path, int fd, JournalContents contents)
      : path_(std::move(path)), fd_(fd), contents_(std::move(contents)) {}
  Status Append(const std::string& line, bool sync);

  std::string path_;
  int fd_;
  mutable std::mutex mutex_;
  JournalContents contents_;  // `unfinished` is what the earlier run left; `finished` grows
};

}  // namespace sluice
