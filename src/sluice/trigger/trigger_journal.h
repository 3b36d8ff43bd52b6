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
//
// --journal s3://bucket/key keeps it in an S3 object instead, for a sluice-trigger whose disk goes
// with it (an ECS task), held by one sluice-trigger at a time (lease/leased_object.h): the
// object is the compacted journal, led by a {"lease": {...}} line, rewritten with a conditional
// write each time an event is accepted (before it runs) and finished, and renewed every third of
// its lease while nothing happens. A replacement replays what the last one left unfinished; a
// second sluice-trigger on it is refused, naming the first; one whose journal was taken over
// stops taking events (Lost()). Each accepted event costs a PUT (tens of milliseconds) and the
// object keeps fewer finished identities (kKeepFinishedInS3) than a file.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/aws/client_context.h"
#include "sluice/event/trigger_event.h"
#include "sluice/lease/leased_object.h"
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
// The {"lease": ...} line of an S3 journal is neither, and not counted.
JournalContents ParseJournal(std::string_view text, size_t* skipped = nullptr);
// The lease on the first line of a journal kept in S3; nullopt when it has none.
std::optional<StateLease> JournalLease(std::string_view text);
// The compacted journal: the unfinished events, then the newest `keep_finished` finished ids.
std::string SerializeJournal(const JournalContents& contents, size_t keep_finished);

class TriggerJournal {
 public:
  // How many finished identities are kept across restarts.
  static constexpr size_t kKeepFinished = 100000;
  // In S3 the whole journal is written at each event: fewer (about 130 KB), still more than a
  // restarted sluice-watch replays (its unread pipe, or its last 1,000 events).
  static constexpr size_t kKeepFinishedInS3 = 2000;

  // Reads what an earlier run left, rewrites it compacted and opens it for appending. An
  // unreadable journal is an Error::Config naming it (never silently emptied: that would run
  // finished events again).
  static Result<std::unique_ptr<TriggerJournal>> Open(const std::string& path);
  // The journal in `object`, claimed with the lease `mine` (waiting, through deps.sleep, for
  // a dead holder's lease to lapse; refused while a live one renews it).
  static Result<std::unique_ptr<TriggerJournal>> OpenLeased(std::unique_ptr<ConditionalObject> object,
                                                            StateLease mine, LeasedObjectDeps deps);
  // A path, or s3://bucket/key (over `context`, which may be null for a path).
  static Result<std::unique_ptr<TriggerJournal>> OpenAt(const std::string& where,
                                                        std::shared_ptr<const ClientContext> context,
                                                        std::chrono::milliseconds lease,
                                                        LeasedObjectDeps deps);
  // For a journal in S3: renews the lease until Close() (off for tests that drive time).
  void StartRenewing();
  // The last write (a journal in S3 is released for a successor); later calls do nothing.
  void Close();
  ~TriggerJournal();

  // A journal in S3 that another sluice-trigger took over: this one must stop taking events.
  bool Lost() const;

  // Events an earlier run accepted and did not finish, in the order it read them.
  const std::vector<nlohmann::json>& Unfinished() const { return contents_.unfinished; }
  // How the event with this identity finished, in an earlier run or this one.
  std::optional<std::string> FinishedStatus(const TriggerEvent& event) const;

  Status Accepted(const TriggerEvent& event);
  Status Finished(const TriggerEvent& event, const std::string& status);
  const std::string& path() const { return path_; }

 private:
  TriggerJournal(std::string path, int fd, JournalContents contents);
  Status Append(const std::string& line, bool sync);
  // In S3: writes the whole journal as it stands (mutex_ held).
  Status WriteLeased(bool release);
  std::string LeasedBody(const StateLease& lease) const;
  void Renew();

  std::string path_;
  int fd_ = -1;                            // a file journal
  std::unique_ptr<LeasedObject> leased_;  // a journal in S3
  mutable std::mutex mutex_;
  JournalContents contents_;  // `unfinished` is what the earlier run left; `finished` grows
  // In S3: what is accepted and not finished (from the earlier run and this one), in order.
  std::vector<std::pair<std::string, nlohmann::json>> open_;
  bool lost_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point last_write_;
  std::condition_variable stop_renewing_;
  std::thread renewer_;
};

}  // namespace sluice
