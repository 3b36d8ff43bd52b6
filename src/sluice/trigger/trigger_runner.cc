#include "sluice/trigger/trigger_runner.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "sluice/util/exit_codes.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

// How many event identities are remembered to recognise repeats: enough for any burst of
// redeliveries, bounded for a pipeline that runs for months.
constexpr size_t kRememberedEvents = 100000;
constexpr std::chrono::milliseconds kInputWait{100};
// After a signal, the input is read on until it ends, stays quiet this long, or for at most
// kDrainMax (a source that goes on writing: it was not stopped) (see DrainInput).
constexpr std::chrono::milliseconds kDrainQuiet{500};
constexpr std::chrono::milliseconds kDrainMax{5000};
// Events accepted but not yet begun, at most (about 1.2 KB each).
constexpr size_t kMaxWaiting = 1024;

struct Job {
  TriggerEvent event;
};

// An acknowledger for events nobody acknowledges.
class NoAcknowledger : public EventAcknowledger {
 public:
  void Hold(const TriggerEvent&) override {}
  void Settle(const TriggerEvent&, Settlement) override {}
  bool Redelivers(const TriggerEvent&) const override { return false; }
};

struct Counts {
  size_t succeeded = 0, failed = 0, skipped = 0, cancelled = 0, filtered = 0, bad_lines = 0;
  size_t replays_dropped = 0;  // replayed by the source, finished in an earlier run
};

class Runner {
 public:
  Runner(const TriggerOptions& options, TriggerAction& action, const TriggerDeps& deps)
      : options_(options),
        action_(action),
        deps_(deps),
        ack_(deps.acknowledger != nullptr ? *deps.acknowledger : no_acknowledger_) {}

  int Run() {
    for (int i = 0; i < options_.max_parallel; ++i) workers_.emplace_back([this] { Work(); });
    ReplayJournal();
    InputEnd end = ReadInput();
    bool interrupted = end == InputEnd::kInterrupted;
    if (interrupted || end == InputEnd::kOutputLost || end == InputEnd::kJournalLost) {
      CancelWaiting();
      if (interrupted) DrainInput();
      StopWorkersAfterGrace();
    } else {
      FlushDebounced();
      {
        std::lock_guard lock(mutex_);
        closing_ = true;
      }
      wake_.notify_all();
    }
    for (std::thread& t : workers_) t.join();
    LogSummary();
    if (end == InputEnd::kJournalLost) {
      deps_.log("stopped taking events: the journal " + deps_.journal->path() +
                " was taken over by another sluice-trigger, which replays what this one left");
      return kExitFailure;
    }
    if (end == InputEnd::kOutputLost || output_lost_) {
      deps_.log("stdout was closed: result lines were lost");
      return kExitFailure;
    }
    if (interrupted) return kExitInterrupted;
    if (end == InputEnd::kBadLine) return kExitDataError;
    return counts_.failed > 0 ? kExitFailure : kExitSuccess;
  }

 private:
  enum class InputEnd { kEnd, kBadLine, kInterrupted, kOutputLost, kJournalLost };

  // Reads until the end of input, a bad line with --strict, a signal or a closed stdout.
  InputEnd ReadInput() {
    std::string line;
    while (true) {
      if (output_lost_) return InputEnd::kOutputLost;
      if (deps_.interrupted()) return InputEnd::kInterrupted;
      if (deps_.journal != nullptr && deps_.journal->Lost()) return InputEnd::kJournalLost;
      auto status = deps_.input->Next(line, NextWait());
      DispatchDueDebounced();
      // The input ending together with a signal is the signal: a group-wide Ctrl-C stops
      // sluice-watch at once, and its closed pipe may be seen before the flag is. Taken for a
      // plain end, the queue would run on after the user asked to stop.
      if (status == LineSource::Status::kEnd) {
        return deps_.interrupted() ? InputEnd::kInterrupted : InputEnd::kEnd;
      }
      if (status == LineSource::Status::kIdle) continue;
      ++line_number_;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines
      if (!Accept(line, line_number_)) return InputEnd::kBadLine;
    }
  }

  // After a signal: what is already written to us (a backlog in the pipe, or what sluice-watch
  // emits as it stops) are events their source has let go of (its state saved, their SQS
  // messages deleted). Each gets a "cancelled" result line, so that none is lost without a
  // trace and a later run can replay them. Reads until the input ends, or stays quiet for
  // kDrainQuiet, or for kDrainMax at most (a source that is not stopping).
  void DrainInput() {
    std::string line;
    const Clock::time_point give_up = Clock::now() + kDrainMax;
    Clock::time_point last_line = Clock::now();
    while (!output_lost_ && Clock::now() - last_line < kDrainQuiet && Clock::now() < give_up) {
      auto status = deps_.input->Next(line, kInputWait);
      if (status == LineSource::Status::kEnd) return;
      if (status == LineSource::Status::kIdle) continue;
      last_line = Clock::now();
      ++line_number_;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto events = ParseTriggerLine(line, line_number_, deps_.now());
      if (!events.ok()) {
        std::lock_guard lock(mutex_);
        ++counts_.bad_lines;
        continue;
      }
      for (const TriggerEvent& event : *events) {
        ack_.Hold(event);
        if (!Selected(event)) {
          FilteredOut(event);
        } else if (remembered_.insert(event.Identity()).second) {
          // Journaled unfinished, it runs at the next start.
          if (deps_.journal != nullptr && !deps_.journal->FinishedStatus(event)) {
            (void)deps_.journal->Accepted(event);
          }
          Finish(event, "cancelled", {}, 0, {}, {}, "not started: interrupted");
          ack_.Settle(event, Settlement::kReturned);
        } else if (!RideOnOriginal(event)) {
          ack_.Settle(event, Settlement::kReturned);
        }
      }
    }
  }

  // What an earlier run accepted and did not finish (killed, or stopped before it began) runs
  // first, as line 0, and is not journaled again: it is there already.
  void ReplayJournal() {
    if (deps_.journal == nullptr || deps_.journal->Unfinished().empty()) return;
    deps_.log("replaying " + std::to_string(deps_.journal->Unfinished().size()) +
              " event(s) an earlier run did not finish (" + deps_.journal->path() + ")");
    for (const nlohmann::json& fields : deps_.journal->Unfinished()) {
      TriggerEvent event;
      event.fields = fields;
      event.line = 0;
      Admit(std::move(event), /*journaled=*/true);
    }
  }

  // Handles one line; false when --strict ends the run.
  bool Accept(const std::string& line, size_t line_number) {
    auto events = ParseTriggerLine(line, line_number, deps_.now());
    if (!events.ok()) {
      std::string what = line.size() > options_.max_line
                             ? "line " + std::to_string(line_number) + ": too long"
                             : "line " + std::to_string(line_number) + ": " + events.error().message;
      deps_.log(what + (options_.strict ? "; stopping (--strict)" : "; skipped"));
      std::lock_guard lock(mutex_);
      ++counts_.bad_lines;
      return !options_.strict;
    }
    for (TriggerEvent& event : *events) Admit(std::move(event));
    return true;
  }

  void Admit(TriggerEvent event, bool journaled = false) {
    ack_.Hold(event);
    if (!Selected(event)) return FilteredOut(event);
    std::string identity = event.Identity();
    if (!remembered_.insert(identity).second && !IsRetryByRedelivery(event)) {
      if (RideOnOriginal(event)) {
        Finish(event, "skipped", {}, 0, {}, {},
               "the same event (uri, version) is already waiting or running in this run");
      } else {
        Finish(event, "skipped", {}, 0, {}, {},
               "the same event (uri, version) was already handled in this run");
        ack_.Settle(event, Settlement::kDone);
      }
      return;
    }
    if (!journaled && deps_.journal != nullptr) {
      if (HandledInAnEarlierRun(event)) return;
      // On the disk before it runs: a kill from here on replays it at the next start.
      if (Status s = deps_.journal->Accepted(event); !s.ok()) {
        if (IsTakenOver(s.error())) {
          // The sluice-trigger that holds the journal now is the one to do the work.
          Finish(event, "cancelled", {}, 0, {}, {}, "not started: " + s.error().message);
          ack_.Settle(event, Settlement::kReturned);
          return;
        }
        deps_.log("warning: " + s.error().ToString() + "; the event runs, but a crash now loses it");
      }
    }
    Track(identity);
    if (options_.debounce.count() == 0) return Enqueue(std::move(event));

    std::string uri = event.uri();
    auto pending = debounced_.find(uri);
    if (pending == debounced_.end()) {
      debounced_.emplace(uri, Debounced{std::move(event), Clock::now() + options_.debounce});
      return;
    }
    Finish(pending->second.event, "skipped", {}, 0, {}, {},
           "coalesced into the event on line " + std::to_string(event.line) + " (--debounce)");
    // Its work is the later event's: that one's message stays held until it is done.
    SettleWithRiders(pending->second.event, Settlement::kDone);
    pending->second.event = std::move(event);  // the window keeps its deadline: latency stays D
  }

  // Nothing to do is done: the source may let the event go.
  void FilteredOut(const TriggerEvent& event) {
    {
      std::lock_guard lock(mutex_);
      ++counts_.filtered;
    }
    ack_.Settle(event, Settlement::kDone);
  }

  // With --journal: an event that finished in an earlier run is skipped (a failure its source
  // delivers again is the source's retry, and runs). True when it was.
  bool HandledInAnEarlierRun(const TriggerEvent& event) {
    auto status = deps_.journal->FinishedStatus(event);
    if (!status || (*status == "failed" && ack_.Redelivers(event))) return false;
    // sluice-watch sends again, after its restart, what may have been lost in the pipe: those
    // that did reach us are dropped quietly (counted in the summary).
    if (event.fields.value("replayed", false)) {
      std::lock_guard lock(mutex_);
      ++counts_.replays_dropped;
      return true;
    }
    Finish(event, "skipped", {}, 0, {}, {},
           "the same event (uri, version) was already handled in an earlier run (" + *status +
               ", --journal)");
    ack_.Settle(event, Settlement::kDone);
    return true;
  }

  // Remembers that the event with `identity` waits or runs; bounded, oldest first.
  void Track(const std::string& identity) {
    if (remembered_order_.empty() || remembered_order_.back() != identity) {
      remembered_order_.push_back(identity);
    }
    std::lock_guard lock(mutex_);
    tracked_[identity] = Tracked{};
    if (remembered_order_.size() > kRememberedEvents) {
      const std::string& oldest = remembered_order_.front();
      auto t = tracked_.find(oldest);
      if (t == tracked_.end() || t->second.state != Tracked::kInFlight) {
        remembered_.erase(oldest);
        if (t != tracked_.end()) tracked_.erase(t);
      }
      remembered_order_.pop_front();
    }
  }

  // A repeat whose original waits or runs: settled with it. False when there is none.
  bool RideOnOriginal(const TriggerEvent& event) {
    std::lock_guard lock(mutex_);
    auto t = tracked_.find(event.Identity());
    if (t == tracked_.end() || t->second.state != Tracked::kInFlight) return false;
    t->second.riders.push_back(event);
    return true;
  }

  // A repeat of an event that failed, from a source that delivers what failed again (SQS):
  // that is the source's retry, to be run.
  bool IsRetryByRedelivery(const TriggerEvent& event) {
    if (!ack_.Redelivers(event)) return false;
    std::lock_guard lock(mutex_);
    auto t = tracked_.find(event.Identity());
    return t != tracked_.end() && t->second.state == Tracked::kFailed;
  }

  // Settles `event` and the repeats riding on it, and records how its identity ended.
  void SettleWithRiders(const TriggerEvent& event, Settlement settlement) {
    std::vector<TriggerEvent> riders;
    {
      std::lock_guard lock(mutex_);
      auto t = tracked_.find(event.Identity());
      if (t != tracked_.end()) {
        riders.swap(t->second.riders);
        // Only a failure its source will deliver again needs remembering (to run the retry);
        // any other repeat is skipped as one already handled.
        if (settlement != Settlement::kDone && ack_.Redelivers(event)) {
          t->second.state = Tracked::kFailed;
        } else {
          tracked_.erase(t);
        }
      }
    }
    if (deps_.journal != nullptr && settlement != Settlement::kReturned) {
      if (Status s = deps_.journal->Finished(event, settlement == Settlement::kDone ? "done" : "failed");
          !s.ok()) {
        deps_.log("warning: " + s.error().ToString() + "; a restart may run this event again");
      }
    }
    ack_.Settle(event, settlement);
    for (const TriggerEvent& rider : riders) ack_.Settle(rider, settlement);
  }

  bool Selected(const TriggerEvent& event) const {
    auto kind = ParseChangeKind(event.kind());
    if (!kind || std::find(options_.events.begin(), options_.events.end(), *kind) ==
                     options_.events.end()) {
      return false;
    }
    std::string name = event.Field("key").value_or(event.uri());
    auto matches = [&](const Glob& g) { return g.Matches(name); };
    if (!options_.include.empty() &&
        std::none_of(options_.include.begin(), options_.include.end(), matches)) {
      return false;
    }
    return std::none_of(options_.exclude.begin(), options_.exclude.end(), matches);
  }

  // How long the reader may wait for input: until the next debounce window closes.
  std::chrono::milliseconds NextWait() const {
    auto wait = kInputWait;
    for (const auto& [uri, pending] : debounced_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(pending.due - Clock::now());
      wait = std::clamp(left, std::chrono::milliseconds(0), wait);
    }
    return wait;
  }

  void DispatchDueDebounced() {
    auto now = Clock::now();
    for (auto it = debounced_.begin(); it != debounced_.end();) {
      if (it->second.due > now) {
        ++it;
        continue;
      }
      Enqueue(std::move(it->second.event));
      it = debounced_.erase(it);
    }
  }

  // At the end of input nothing more can be coalesced: run what waits now.
  void FlushDebounced() {
    for (auto& [uri, pending] : debounced_) Enqueue(std::move(pending.event));
    debounced_.clear();
  }

  // Back-pressure: with this many events waiting, stop reading until a worker takes one, so a
  // large backlog into a slow action waits in the pipe (and upstream), not in memory.
  void Enqueue(TriggerEvent event) {
    {
      std::unique_lock lock(mutex_);
      while (queue_.size() >= kMaxWaiting && !draining_) {
        taken_.wait_for(lock, kInputWait);
        if (deps_.interrupted()) break;  // CancelWaiting will answer for it
      }
      queue_.push_back({std::move(event)});
    }
    wake_.notify_one();
  }

  void Work() {
    while (true) {
      Job job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return !queue_.empty() || closing_; });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
        taken_.notify_one();
        ++running_;
      }
      RunJob(job);
      {
        std::lock_guard lock(mutex_);
        --running_;
      }
      idle_.notify_all();
    }
  }

  void RunJob(const Job& job) {
    SystemTime started = deps_.now();
    auto started_steady = Clock::now();
    if (deps_.reporter != nullptr) {
      deps_.reporter->Report(job.event, {{"action", action_.name()},
                                         {"status", "running"},
                                         {"attempts", 1},
                                         {"started_at", FormatIso8601(started)}});
    }
    ActionOutcome outcome;
    int attempt = 0;
    while (true) {
      ++attempt;
      outcome = action_.Run(job.event, attempt, stop_);
      if (outcome.succeeded || !outcome.retryable || outcome.stopped || attempt > options_.retries) {
        break;
      }
      std::chrono::milliseconds delay = RetryBackoff(attempt, options_.retry_delay,
                                                     options_.max_retry_delay, deps_.random01());
      deps_.log("line " + std::to_string(job.event.line) + ": " + job.event.uri() + ": attempt " +
                std::to_string(attempt) + " failed (" + outcome.error + "); retrying in " +
                std::to_string(delay.count()) + "ms");
      std::unique_lock lock(mutex_);
      if (drain_.wait_for(lock, delay, [&] { return draining_; })) {
        outcome.error += "; not retried: interrupted";
        outcome.stopped = true;
        break;
      }
    }
    double seconds = std::chrono::duration<double>(Clock::now() - started_steady).count();
    if (!outcome.succeeded) {
      deps_.log("line " + std::to_string(job.event.line) + ": " + job.event.uri() + ": " +
                outcome.error);
    }
    Finish(job.event, outcome.succeeded ? "succeeded" : "failed", outcome, attempt, started,
           seconds, outcome.error);
    SettleWithRiders(job.event, outcome.succeeded ? Settlement::kDone
                                : outcome.stopped ? Settlement::kReturned
                                                  : Settlement::kFailed);
  }

  // Writes the result line of `event` and counts it.
  void Finish(const TriggerEvent& event, const std::string& status, const ActionOutcome& outcome,
              int attempts, std::optional<SystemTime> started, std::optional<double> seconds,
              const std::string& error) {
    nlohmann::json result = {{"event", event.fields},
                             {"line", event.line},
                             {"action", action_.name()},
                             {"status", status},
                             {"exit_code", nullptr},
                             {"attempts", attempts}};
    if (outcome.exit_code) result["exit_code"] = *outcome.exit_code;
    if (!outcome.task_arn.empty()) result["task_arn"] = outcome.task_arn;
    if (!outcome.stop_code.empty()) result["stop_code"] = outcome.stop_code;
    if (outcome.fields.is_object()) {
      for (const auto& [name, value] : outcome.fields.items()) result[name] = value;
    }
    if (started) {
      result["started_at"] = FormatIso8601(*started);
      result["finished_at"] = FormatIso8601(deps_.now());
    }
    if (seconds) result["seconds"] = *seconds;
    if (!error.empty()) result["error"] = error;
    if (deps_.reporter != nullptr && status != "skipped") deps_.reporter->Report(event, result);
    std::lock_guard lock(mutex_);
    if (status == "succeeded") ++counts_.succeeded;
    if (status == "failed") ++counts_.failed;
    if (status == "skipped") ++counts_.skipped;
    if (status == "cancelled") ++counts_.cancelled;
    if (!deps_.emit(result)) output_lost_ = true;
  }

  // After an interrupt: everything not begun gets a "cancelled" line.
  void CancelWaiting() {
    std::deque<Job> waiting;
    {
      std::lock_guard lock(mutex_);
      waiting.swap(queue_);
      closing_ = true;
      draining_ = true;
    }
    wake_.notify_all();
    drain_.notify_all();
    for (auto& [uri, pending] : debounced_) waiting.push_back({std::move(pending.event)});
    debounced_.clear();
    for (const Job& job : waiting) {
      Finish(job.event, "cancelled", {}, 0, {}, {}, "not started: interrupted");
      SettleWithRiders(job.event, Settlement::kReturned);
    }
  }

  void StopWorkersAfterGrace() {
    std::unique_lock lock(mutex_);
    if (running_ > 0) {
      deps_.log("interrupted: waiting up to " + std::to_string(options_.grace.count() / 1000) +
                "s for " + std::to_string(running_) + " running action(s); again to quit at once");
    }
    if (!idle_.wait_for(lock, options_.grace, [&] { return running_ == 0; })) {
      deps_.log("grace period over: stopping " + std::to_string(running_) + " running action(s)");
      stop_ = true;
    }
  }

  void LogSummary() {
    std::lock_guard lock(mutex_);
    size_t total = counts_.succeeded + counts_.failed + counts_.skipped + counts_.cancelled;
    std::string line = std::to_string(total) + " event(s): " + std::to_string(counts_.succeeded) +
                       " succeeded, " + std::to_string(counts_.failed) + " failed";
    if (counts_.skipped) line += ", " + std::to_string(counts_.skipped) + " skipped";
    if (counts_.cancelled) line += ", " + std::to_string(counts_.cancelled) + " cancelled";
    if (counts_.filtered) line += "; " + std::to_string(counts_.filtered) + " filtered out";
    if (counts_.bad_lines) line += "; " + std::to_string(counts_.bad_lines) + " bad line(s)";
    if (counts_.replays_dropped) {
      line += "; " + std::to_string(counts_.replays_dropped) + " replayed event(s) already handled";
    }
    deps_.log(line);
  }

  struct Debounced {
    TriggerEvent event;
    Clock::time_point due;
  };

  // What became of an identity that was admitted to run.
  struct Tracked {
    enum State { kInFlight, kFailed } state = kInFlight;
    std::vector<TriggerEvent> riders;  // repeats read while it waited or ran
  };

  const TriggerOptions& options_;
  TriggerAction& action_;
  const TriggerDeps& deps_;
  NoAcknowledger no_acknowledger_;
  EventAcknowledger& ack_;

  // Reader-thread only.
  std::set<std::string> remembered_;
  std::deque<std::string> remembered_order_;
  std::map<std::string, Debounced> debounced_;

  std::mutex mutex_;
  std::condition_variable wake_;   // idle workers: a job, or the end of jobs
  std::condition_variable drain_;  // workers waiting to retry: interrupted
  std::condition_variable taken_;  // the reader, held back: a worker took a job
  std::condition_variable idle_;  // the reader: a worker finished
  std::deque<Job> queue_;
  std::map<std::string, Tracked> tracked_;
  size_t line_number_ = 0;  // input lines read so far
  bool closing_ = false;   // no more jobs will come
  bool draining_ = false;  // interrupted: no more retries
  int running_ = 0;
  Counts counts_;
  std::atomic<bool> output_lost_{false};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
};

}  // namespace

std::chrono::milliseconds RetryBackoff(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap, double random01) {
  double ceiling = static_cast<double>(base.count());
  for (int i = 1; i < attempt && ceiling < static_cast<double>(cap.count()); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, static_cast<double>(cap.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(random01 * ceiling));
}

int RunTrigger(const TriggerOptions& options, TriggerAction& action, const TriggerDeps& deps) {
  Runner runner(options, action, deps);
  return runner.Run();
}

}  // namespace sluice
