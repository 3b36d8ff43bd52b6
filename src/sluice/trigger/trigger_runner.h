// sluice-trigger's engine: reads events line by line, filters, drops repeats, coalesces bursts
// (--debounce), runs the action on a bounded pool of workers with retries (exponential backoff,
// full jitter), and writes exactly one result line per accepted event:
//   {"event": {...}, "line": N, "action": "exec", "status": "succeeded", "exit_code": 0,
//    "task_arn": "...", "attempts": 1, "started_at": ..., "finished_at": ..., "seconds": 0.01,
//    "error": "..."}
// status: succeeded | failed | skipped (a repeat of an event already handled in this run, or
// coalesced into a later event for the same uri by --debounce) | cancelled (interrupted before it
// started). Each event read is held with the acknowledger and settled once its result is known
// (a repeat waiting for its original is settled with it). Exit: 0 when nothing failed, 1 when something did, 65 for bad input with --strict,
// 130 when interrupted.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sluice/event/watch_event.h"
#include "sluice/os/line_source.h"
#include "sluice/trigger/event_acknowledger.h"
#include "sluice/trigger/job_report.h"
#include "sluice/trigger/trigger_action.h"
#include "sluice/trigger/trigger_journal.h"
#include "sluice/util/clock.h"
#include "sluice/util/glob.h"

namespace sluice {

struct TriggerOptions {
  int max_parallel = 1;
  int retries = 0;  // further attempts after a failed one
  std::chrono::milliseconds retry_delay{1000};      // the first backoff's upper bound
  std::chrono::milliseconds max_retry_delay{60000};  // no backoff is longer
  std::chrono::milliseconds debounce{0};             // 0: every event runs
  std::chrono::milliseconds grace{30000};  // after SIGINT/SIGTERM, running actions get this long
  std::vector<ChangeKind> events = {ChangeKind::kCreated, ChangeKind::kUpdated,
                                    ChangeKind::kExists};
  std::vector<Glob> include;  // on the key (the uri when there is none)
  std::vector<Glob> exclude;
  bool strict = false;  // a bad line ends the run with 65 instead of being skipped
  size_t max_line = 1 << 20;  // longer input lines are bad lines (the LineSource cuts them)
};

struct TriggerDeps {
  LineSource* input = nullptr;
  std::function<bool(const nlohmann::json&)> emit;  // false: stdout is gone, stop
  std::function<void(const std::string&)> log;      // one line to stderr
  std::function<bool()> interrupted;
  std::function<SystemTime()> now;
  std::function<double()> random01;  // uniform in [0, 1), for jitter
  EventAcknowledger* acknowledger = nullptr;  // none: events need no acknowledgement
  // --journal: its unfinished events run first (result lines with "line": 0), each event run
  // is journaled before it starts and when it ends, and one that finished in an earlier run is
  // skipped. None: nothing survives the process.
  TriggerJournal* journal = nullptr;
  // --report: each job's status document, written as it starts and when it ends (not for
  // repeats, which are the original's job). None: result lines only.
  JobReporter* reporter = nullptr;
};

int RunTrigger(const TriggerOptions& options, TriggerAction& action, const TriggerDeps& deps);

// The delay before attempt `attempt` + 1: full jitter over min(base * 2^(attempt-1), cap).
std::chrono::milliseconds RetryBackoff(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap, double random01);

}  // namespace sluice
