// sluice-trigger's engine with a scripted action: one result line per accepted event, retries,
// the parallelism bound, repeats, debounce, bad input, filters and interruption.
#include "sluice/trigger/trigger_runner.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "sluice/util/exit_codes.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;

std::string Line(const std::string& key, const std::string& etag = "e1",
                 const std::string& kind = "created") {
  return R"({"event":")" + kind + R"(","uri":"s3://b/)" + key + R"(","bucket":"b","key":")" + key +
         R"(","etag":")" + etag + R"("})";
}

// An action whose outcome per call is scripted, and which records how many ran at once.
class FakeAction : public TriggerAction {
 public:
  std::function<ActionOutcome(const TriggerEvent&, int attempt, const std::atomic<bool>& stop)>
      script = [](const TriggerEvent&, int, const std::atomic<bool>&) {
        ActionOutcome o;
        o.succeeded = true;
        o.exit_code = 0;
        return o;
      };

  std::string_view name() const override { return "fake"; }
  ActionOutcome Run(const TriggerEvent& event, int attempt,
                    const std::atomic<bool>& stop) override {
    {
      std::lock_guard lock(mutex);
      calls.push_back(event.Field("key").value_or("") + "#" + std::to_string(attempt));
      max_in_flight = std::max(max_in_flight, ++in_flight);
    }
    changed.notify_all();
    ActionOutcome outcome = script(event, attempt, stop);
    {
      std::lock_guard lock(mutex);
      --in_flight;
    }
    return outcome;
  }

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> calls;
  int in_flight = 0;
  int max_in_flight = 0;
};

ActionOutcome Success() {
  ActionOutcome o;
  o.succeeded = true;
  return o;
}

// An action script that takes `duration`, then succeeds.
auto SucceedsAfter(std::chrono::microseconds duration) {
  return [duration](const TriggerEvent&, int, const std::atomic<bool>&) {
    std::this_thread::sleep_for(duration);
    return Success();
  };
}

ActionOutcome Failure(const std::string& error, bool retryable = true) {
  ActionOutcome o;
  o.error = error;
  o.exit_code = 1;
  o.retryable = retryable;
  return o;
}

class TriggerRunnerTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> lines, LineSource* source = nullptr) {
    auto vector_source = MakeVectorLineSource(std::move(lines));
    TriggerDeps deps;
    deps.input = source ? source : vector_source.get();
    deps.emit = [this](const nlohmann::json& result) {
      std::lock_guard lock(mutex_);
      results.push_back(result);
      return emit_ok;
    };
    deps.log = [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      log += line + "\n";
    };
    deps.interrupted = [this] { return interrupted.load(); };
    deps.now = [] { return *ParseIso8601("2026-11-23T10:00:00Z"); };
    deps.random01 = [] { return 0.5; };
    deps.acknowledger = acknowledger;
    deps.reporter = reporter;
    return RunTrigger(options, action, deps);
  }

  std::vector<std::string> Statuses() const {
    std::vector<std::string> out;
    for (const auto& r : results) out.push_back(r["status"]);
    std::sort(out.begin(), out.end());
    return out;
  }

  TriggerOptions options;
  FakeAction action;
  std::vector<nlohmann::json> results;
  std::string log;
  std::atomic<bool> interrupted{false};
  bool emit_ok = true;
  EventAcknowledger* acknowledger = nullptr;
  JobReporter* reporter = nullptr;

 private:
  std::mutex mutex_;
};

TEST_F(TriggerRunnerTest, EveryEventEndsInOneResultLine) {
  EXPECT_EQ(Run({Line("a"), Line("b"), Line("c")}), kExitSuccess);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) {
    EXPECT_EQ(r["status"], "succeeded");
    EXPECT_EQ(r["action"], "fake");
    EXPECT_EQ(r["attempts"], 1);
    EXPECT_EQ(r["exit_code"], 0);
    EXPECT_EQ(r["started_at"], "2026-11-23T10:00:00Z");
    EXPECT_TRUE(r["event"].contains("key"));
    EXPECT_FALSE(r.contains("error"));
  }
  EXPECT_NE(log.find("3 event(s): 3 succeeded, 0 failed"), std::string::npos) << log;
}

TEST_F(TriggerRunnerTest, AFailureIsReportedAndTheExitCodeIsOne) {
  action.script = [](const TriggerEvent& e, int, const std::atomic<bool>&) {
    if (e.Field("key") == "bad") return Failure("exited with 3");
    return Success();
  };
  EXPECT_EQ(Run({Line("ok"), Line("bad")}), kExitFailure);
  EXPECT_EQ(Statuses(), (std::vector<std::string>{"failed", "succeeded"}));
  for (const auto& r : results) {
    if (r["status"] == "failed") {
      EXPECT_EQ(r["error"], "exited with 3");
      EXPECT_EQ(r["exit_code"], 1);
      EXPECT_EQ(r["line"], 2);
    }
  }
  EXPECT_NE(log.find("line 2: s3://b/bad: exited with 3"), std::string::npos) << log;
}

TEST_F(TriggerRunnerTest, RetriesUntilAnAttemptSucceeds) {
  options.retries = 5;
  options.retry_delay = milliseconds(1);
  action.script = [](const TriggerEvent&, int attempt, const std::atomic<bool>&) {
    if (attempt < 3) return Failure("flaky");
    return Success();
  };
  EXPECT_EQ(Run({Line("a")}), kExitSuccess);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["status"], "succeeded");
  EXPECT_EQ(results[0]["attempts"], 3);
  EXPECT_EQ(action.calls, (std::vector<std::string>{"a#1", "a#2", "a#3"}));
  EXPECT_NE(log.find("attempt 1 failed (flaky); retrying"), std::string::npos) << log;
}

TEST_F(TriggerRunnerTest, GivesUpAfterTheLastRetry) {
  options.retries = 2;
  options.retry_delay = milliseconds(1);
  action.script = [](const TriggerEvent&, int, const std::atomic<bool>&) { return Failure("down"); };
  EXPECT_EQ(Run({Line("a")}), kExitFailure);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["status"], "failed");
  EXPECT_EQ(results[0]["attempts"], 3);
}

TEST_F(TriggerRunnerTest, AFailureNoRetryCanFixIsNotRetried) {
  options.retries = 5;
  options.retry_delay = milliseconds(1);
  action.script = [](const TriggerEvent&, int, const std::atomic<bool>&) {
    return Failure("the event has no \"bucket\" field", false);
  };
  EXPECT_EQ(Run({Line("a")}), kExitFailure);
  EXPECT_EQ(results[0]["attempts"], 1);
}

TEST_F(TriggerRunnerTest, NeverRunsMoreThanMaxParallelAtOnce) {
  options.max_parallel = 4;
  // The first four calls wait until four run at once: proof the pool reaches its bound. Later
  // calls pass straight through, so the test cannot hang on an uneven last batch.
  action.script = [this](const TriggerEvent&, int, const std::atomic<bool>&) {
    std::unique_lock lock(action.mutex);
    if (action.calls.size() <= 4) {
      action.changed.wait_for(lock, std::chrono::seconds(10),
                              [this] { return action.max_in_flight >= 4; });
    }
    ActionOutcome o;
    o.succeeded = true;
    return o;
  };
  std::vector<std::string> lines;
  for (int i = 0; i < 40; ++i) lines.push_back(Line("k" + std::to_string(i)));
  EXPECT_EQ(Run(lines), kExitSuccess);
  EXPECT_EQ(results.size(), 40u);
  EXPECT_EQ(action.max_in_flight, 4);
}

TEST_F(TriggerRunnerTest, ABacklogWaitsInTheInputNotInMemory) {
  // A slow action and far more events than may wait: the reader is held back, and every event
  // still ends in one result line.
  std::atomic<size_t> read{0};
  std::atomic<size_t> most_ahead{0};
  class CountingSource : public LineSource {
   public:
    CountingSource(std::atomic<size_t>& read, FakeAction& action, std::atomic<size_t>& most_ahead)
        : read_(read), action_(action), most_ahead_(most_ahead) {}
    Status Next(std::string& line, milliseconds) override {
      if (read_ == 3000) return Status::kEnd;
      size_t started;
      {
        std::lock_guard lock(action_.mutex);
        started = action_.calls.size();
      }
      size_t ahead = read_ - std::min<size_t>(read_, started);
      if (ahead > most_ahead_) most_ahead_ = ahead;
      line = Line("k" + std::to_string(read_++));
      return Status::kLine;
    }

   private:
    std::atomic<size_t>& read_;
    FakeAction& action_;
    std::atomic<size_t>& most_ahead_;
  } source(read, action, most_ahead);
  action.script = SucceedsAfter(std::chrono::microseconds(200));
  EXPECT_EQ(Run({}, &source), kExitSuccess);
  EXPECT_EQ(results.size(), 3000u);
  EXPECT_LE(most_ahead.load(), 1024u + 2);  // the queue bound, plus the one in hand
}

TEST_F(TriggerRunnerTest, TheSameEventTwiceRunsOnce) {
  EXPECT_EQ(Run({Line("a"), Line("a"), Line("a", "e2")}), kExitSuccess);
  EXPECT_EQ(action.calls.size(), 2u);
  EXPECT_EQ(Statuses(), (std::vector<std::string>{"skipped", "succeeded", "succeeded"}));
  for (const auto& r : results) {
    if (r["status"] == "skipped") {
      EXPECT_EQ(r["line"], 2);
      EXPECT_EQ(r["attempts"], 0);
      EXPECT_NE(r["error"].get<std::string>().find("the same event (uri, version)"), std::string::npos);
    }
  }
}

TEST_F(TriggerRunnerTest, DebounceRunsTheLastEventOfABurstPerUri) {
  options.debounce = std::chrono::hours(1);  // the end of input closes every window
  EXPECT_EQ(Run({Line("a", "1"), Line("a", "2"), Line("b", "1"), Line("a", "3")}), kExitSuccess);
  std::sort(action.calls.begin(), action.calls.end());
  EXPECT_EQ(action.calls, (std::vector<std::string>{"a#1", "b#1"}));
  ASSERT_EQ(results.size(), 4u);
  int coalesced = 0;
  for (const auto& r : results) {
    if (r["status"] == "succeeded" && r["event"]["key"] == "a") {
      EXPECT_EQ(r["event"]["etag"], "3");
    }
    if (r["status"] == "skipped") {
      ++coalesced;
      EXPECT_NE(r["error"].get<std::string>().find("coalesced"), std::string::npos);
    }
  }
  EXPECT_EQ(coalesced, 2);
}

TEST_F(TriggerRunnerTest, BadLinesAreReportedWithTheirNumberAndSkipped) {
  EXPECT_EQ(Run({Line("a"), "{not json", "", R"({"key":"x"})", Line("b")}), kExitSuccess);
  EXPECT_EQ(results.size(), 2u);
  EXPECT_NE(log.find("line 2: not JSON; skipped"), std::string::npos) << log;
  EXPECT_NE(log.find("line 4: no \"uri\" field"), std::string::npos) << log;
  EXPECT_NE(log.find("2 bad line(s)"), std::string::npos) << log;
}

TEST_F(TriggerRunnerTest, StrictStopsAtTheFirstBadLineWith65) {
  options.strict = true;
  EXPECT_EQ(Run({Line("a"), "oops", Line("b")}), kExitDataError);
  ASSERT_EQ(results.size(), 1u);  // the event before the bad line still ran
  EXPECT_EQ(results[0]["event"]["key"], "a");
  EXPECT_NE(log.find("line 2: not JSON; stopping (--strict)"), std::string::npos) << log;
}

TEST_F(TriggerRunnerTest, DeletedEventsAndExcludedKeysAreFilteredOut) {
  auto glob = Glob::Parse("*.tmp");
  options.exclude.push_back(std::move(glob).value());
  EXPECT_EQ(Run({Line("a", "1", "deleted"), Line("b.tmp"), Line("c")}), kExitSuccess);
  EXPECT_EQ(action.calls, (std::vector<std::string>{"c#1"}));
  EXPECT_EQ(results.size(), 1u);
  EXPECT_NE(log.find("2 filtered out"), std::string::npos) << log;
}

// `before`, then (once an action has started) a signal, then `after` (lines already waiting in
// the pipe), then silence, or the end of input with `ends`.
class InterruptingSource : public LineSource {
 public:
  InterruptingSource(std::vector<std::string> before, FakeAction& action, std::atomic<bool>& flag,
                     std::vector<std::string> after = {}, bool ends = false)
      : before_(std::move(before)), after_(std::move(after)), ends_(ends), action_(action), flag_(flag) {}
  Status Next(std::string& line, milliseconds wait) override {
    if (next_ < before_.size()) {
      line = before_[next_++];
      return Status::kLine;
    }
    if (!flag_) {
      std::unique_lock lock(action_.mutex);
      action_.changed.wait_for(lock, std::chrono::seconds(10), [&] { return action_.in_flight > 0; });
      flag_ = true;
    }
    if (next_ < before_.size() + after_.size()) {
      line = after_[next_++ - before_.size()];
      return Status::kLine;
    }
    if (ends_) return Status::kEnd;
    std::this_thread::sleep_for(wait);  // silence, as a real source waits for input
    return Status::kIdle;
  }

 private:
  std::vector<std::string> before_, after_;
  bool ends_;
  size_t next_ = 0;
  FakeAction& action_;
  std::atomic<bool>& flag_;
};

TEST_F(TriggerRunnerTest, AnInterruptStopsRunningActionsAfterTheGraceAndCancelsTheRest) {
  options.grace = milliseconds(50);
  options.retries = 3;
  action.script = [](const TriggerEvent&, int, const std::atomic<bool>& stop) {
    while (!stop.load()) std::this_thread::sleep_for(milliseconds(1));
    ActionOutcome o;
    o.stopped = true;
    o.exit_code = 130;
    o.error = "stopped";
    return o;
  };
  InterruptingSource source({Line("a"), Line("b"), Line("c")}, action, interrupted);
  EXPECT_EQ(Run({}, &source), kExitInterrupted);
  EXPECT_EQ(Statuses(), (std::vector<std::string>{"cancelled", "cancelled", "failed"}));
  EXPECT_EQ(action.calls.size(), 1u);  // a stopped action is not retried
  EXPECT_NE(log.find("grace period over"), std::string::npos) << log;
}

TEST_F(TriggerRunnerTest, ActionsThatFinishWithinTheGraceSucceed) {
  options.grace = std::chrono::seconds(30);
  action.script = SucceedsAfter(milliseconds(20));
  InterruptingSource source({Line("a")}, action, interrupted);
  EXPECT_EQ(Run({}, &source), kExitInterrupted);
  EXPECT_EQ(Statuses(), (std::vector<std::string>{"succeeded"}));
}

TEST_F(TriggerRunnerTest, EventsStillInThePipeAtASignalEndInCancelledLines) {
  options.grace = std::chrono::seconds(30);
  action.script = SucceedsAfter(milliseconds(20));
  InterruptingSource source({Line("a")}, action, interrupted, {Line("b"), Line("c"), Line("d.tmp")}, /*ends=*/true);
  auto glob = Glob::Parse("*.tmp");
  options.exclude.push_back(std::move(glob).value());
  EXPECT_EQ(Run({}, &source), kExitInterrupted);
  std::vector<std::string> statuses = Statuses();
  std::sort(statuses.begin(), statuses.end());
  // a ran; b was taken in before the signal was seen, c only after: both cancelled, none lost.
  EXPECT_EQ(statuses, (std::vector<std::string>{"cancelled", "cancelled", "succeeded"})) << log;
  EXPECT_EQ(action.calls.size(), 1u);
  EXPECT_NE(log.find("1 filtered out"), std::string::npos) << log;
}

TEST_F(TriggerRunnerTest, InputThatEndsWithTheSignalIsAnInterruptNotAnEnd) {
  // A Ctrl-C to the whole pipeline stops sluice-watch too: its pipe may close before the
  // signal's flag is seen. The events still waiting are cancelled, not run.
  options.grace = std::chrono::seconds(30);
  action.script = SucceedsAfter(milliseconds(20));
  InterruptingSource source({Line("a"), Line("b"), Line("c")}, action, interrupted, {},
                            /*ends=*/true);
  EXPECT_EQ(Run({}, &source), kExitInterrupted);
  EXPECT_EQ(Statuses(), (std::vector<std::string>{"cancelled", "cancelled", "succeeded"})) << log;
  EXPECT_EQ(action.calls.size(), 1u);
}

TEST_F(TriggerRunnerTest, AClosedStdoutStopsTheRunWithOne) {
  emit_ok = false;
  EXPECT_EQ(Run({Line("a")}), kExitFailure);
}

TEST(RetryBackoffTest, DoublesFromTheBaseUpToTheCapWithFullJitter) {
  auto base = milliseconds(1000), cap = milliseconds(5000);
  EXPECT_EQ(RetryBackoff(1, base, cap, 0.999).count(), 999);
  EXPECT_EQ(RetryBackoff(2, base, cap, 0.5).count(), 1000);
  EXPECT_EQ(RetryBackoff(3, base, cap, 0.5).count(), 2000);
  EXPECT_EQ(RetryBackoff(10, base, cap, 0.5).count(), 2500);
  EXPECT_EQ(RetryBackoff(1000, base, cap, 0.0).count(), 0);
}

// Records what the runner tells an event's source, as "key/etag line: held|done|failed|returned".
class RecordingAcknowledger : public EventAcknowledger {
 public:
  explicit RecordingAcknowledger(bool redelivers = true) : redelivers_(redelivers) {}
  void Hold(const TriggerEvent& event) override { Record(event, "held"); }
  void Settle(const TriggerEvent& event, Settlement settlement) override {
    Record(event, settlement == Settlement::kDone     ? "done"
                  : settlement == Settlement::kFailed ? "failed"
                                                      : "returned");
  }
  bool Redelivers(const TriggerEvent&) const override { return redelivers_; }

  // The settlements in the order they came, held events left out.
  std::vector<std::string> Settled() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const std::string& r : records_) {
      if (r.find(": held") == std::string::npos) out.push_back(r);
    }
    return out;
  }
  size_t Held() {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(std::count_if(records_.begin(), records_.end(), [](const std::string& r) {
      return r.find(": held") != std::string::npos;
    }));
  }

 private:
  void Record(const TriggerEvent& event, const std::string& what) {
    std::lock_guard lock(mutex_);
    records_.push_back(event.Field("key").value_or("") + "/" + event.Field("etag").value_or("") +
                       " " + std::to_string(event.line) + ": " + what);
  }
  bool redelivers_;
  std::mutex mutex_;
  std::vector<std::string> records_;
};

TEST_F(TriggerRunnerTest, EveryEventReadIsHeldAndSettledOnceByWhatBecameOfIt) {
  RecordingAcknowledger ack;
  acknowledger = &ack;
  action.script = [](const TriggerEvent& event, int, const std::atomic<bool>&) {
    return event.Field("key") == "bad" ? Failure("exit 1", false) : Success();
  };
  auto glob = Glob::Parse("*.tmp");
  options.exclude.push_back(std::move(glob).value());
  EXPECT_EQ(Run({Line("a"), Line("bad"), Line("x.tmp"), Line("gone", "e1", "deleted")}),
            kExitFailure);
  EXPECT_EQ(ack.Held(), 4u);
  auto settled = ack.Settled();
  std::sort(settled.begin(), settled.end());
  // Filtered events had nothing to do: that is done, and their messages may go.
  EXPECT_EQ(settled, (std::vector<std::string>{"a/e1 1: done", "bad/e1 2: failed",
                                               "gone/e1 4: done", "x.tmp/e1 3: done"}));
}

TEST_F(TriggerRunnerTest, ARepeatReadWhileItsOriginalRunsIsSettledWithIt) {
  RecordingAcknowledger ack;
  acknowledger = &ack;
  std::atomic<bool> release{false};
  action.script = [&](const TriggerEvent&, int, const std::atomic<bool>&) {
    while (!release) std::this_thread::sleep_for(milliseconds(1));
    return Failure("exit 3", false);
  };
  // The repeat (line 2: a second delivery of the same message) arrives while line 1 runs.
  class ReleasingSource : public LineSource {
   public:
    ReleasingSource(std::atomic<bool>& release) : release_(release) {}
    Status Next(std::string& line, milliseconds) override {
      if (next_ == 2) {
        release_ = true;
        return Status::kEnd;
      }
      line = Line("a");
      ++next_;
      return Status::kLine;
    }
   private:
    std::atomic<bool>& release_;
    int next_ = 0;
  } source(release);
  EXPECT_EQ(Run({}, &source), kExitFailure);
  EXPECT_EQ(action.calls.size(), 1u);
  EXPECT_EQ(ack.Settled(), (std::vector<std::string>{"a/e1 1: failed", "a/e1 2: failed"}));
  EXPECT_EQ(Statuses(), (std::vector<std::string>{"failed", "skipped"}));
}

TEST_F(TriggerRunnerTest, ARepeatOfAFailedEventIsRunWhenItsSourceDeliversFailuresAgain) {
  action.script = [](const TriggerEvent& event, int, const std::atomic<bool>&) {
    return event.line == 1 ? Failure("spot interruption") : Success();
  };
  // The second line is SQS delivering the message again once the first delivery failed.
  class AfterFirstResultSource : public LineSource {
   public:
    explicit AfterFirstResultSource(std::function<size_t()> results) : results_(std::move(results)) {}
    Status Next(std::string& line, milliseconds wait) override {
      if (next_ == 2) return Status::kEnd;
      if (next_ == 1 && results_() == 0) {
        std::this_thread::sleep_for(wait);
        return Status::kIdle;
      }
      line = Line("a");
      ++next_;
      return Status::kLine;
    }
   private:
    std::function<size_t()> results_;
    int next_ = 0;
  };
  RecordingAcknowledger redelivering(/*redelivers=*/true);
  acknowledger = &redelivering;
  AfterFirstResultSource redelivery([&] { return redelivering.Settled().size(); });
  EXPECT_EQ(Run({}, &redelivery), kExitFailure);
  EXPECT_EQ(action.calls.size(), 2u);
  EXPECT_EQ(redelivering.Settled(), (std::vector<std::string>{"a/e1 1: failed", "a/e1 2: done"}));

  // From a pipe nobody redelivers: the repeat is a duplicate, skipped as before.
  results.clear();
  action.calls.clear();
  RecordingAcknowledger plain(/*redelivers=*/false);
  acknowledger = &plain;
  AfterFirstResultSource repeat([&] { return plain.Settled().size(); });
  EXPECT_EQ(Run({}, &repeat), kExitFailure);
  EXPECT_EQ(action.calls.size(), 1u);
  EXPECT_EQ(Statuses(), (std::vector<std::string>{"failed", "skipped"}));
}

TEST_F(TriggerRunnerTest, ARepeatOfASucceededEventIsSkippedAndDone) {
  RecordingAcknowledger ack;
  acknowledger = &ack;
  EXPECT_EQ(Run({Line("a"), Line("a")}), kExitSuccess);
  EXPECT_EQ(action.calls.size(), 1u);
  auto settled = ack.Settled();
  std::sort(settled.begin(), settled.end());
  EXPECT_EQ(settled, (std::vector<std::string>{"a/e1 1: done", "a/e1 2: done"}));
}

TEST_F(TriggerRunnerTest, ACoalescedEventIsDoneAndTheLastOneCarriesTheWork) {
  RecordingAcknowledger ack;
  acknowledger = &ack;
  options.debounce = std::chrono::hours(1);
  action.script = [](const TriggerEvent&, int, const std::atomic<bool>&) { return Failure("no", false); };
  EXPECT_EQ(Run({Line("a", "1"), Line("a", "2")}), kExitFailure);
  EXPECT_EQ(ack.Settled(), (std::vector<std::string>{"a/1 1: done", "a/2 2: failed"}));
}

TEST_F(TriggerRunnerTest, AtASignalWaitingAndUnreadEventsAreReturnedToTheirSource) {
  RecordingAcknowledger ack;
  acknowledger = &ack;
  options.grace = std::chrono::seconds(30);
  action.script = SucceedsAfter(milliseconds(20));
  InterruptingSource source({Line("a"), Line("b")}, action, interrupted, {Line("c")}, /*ends=*/true);
  EXPECT_EQ(Run({}, &source), kExitInterrupted);
  auto settled = ack.Settled();
  std::sort(settled.begin(), settled.end());
  EXPECT_EQ(settled, (std::vector<std::string>{"a/e1 1: done", "b/e1 2: returned",
                                               "c/e1 3: returned"}));
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

class RecordingReporter : public JobReporter {
 public:
  void Report(const TriggerEvent& event, const nlohmann::json& state) override {
    std::lock_guard lock(mutex);
    reports.push_back(event.Field("key").value_or("") + ":" + state.value("status", "") + ":" +
                      std::to_string(state.value("attempts", 0)));
  }
  std::mutex mutex;
  std::vector<std::string> reports;
};

TEST_F(TriggerRunnerTest, EachJobIsReportedWhenItStartsAndWhenItEndsButARepeatIsNot) {
  RecordingReporter recording;
  reporter = &recording;
  options.retries = 1;
  action.script = [](const TriggerEvent& event, int, const std::atomic<bool>&) {
    return event.Field("key") == "bad" ? Failure("exit 1") : Success();
  };
  EXPECT_EQ(Run({Line("a"), Line("bad"), Line("a")}), kExitFailure);
  EXPECT_EQ(recording.reports,
            (std::vector<std::string>{"a:running:1", "a:succeeded:1", "bad:running:1", "bad:failed:2"}));
}

}  // namespace
}  // namespace sluice
