// The watch loop and its pure parts (targets, event schema, snapshot diffs) with scripted
// watchers and a fake clock: no S3, no waiting.
#include "sluice/watch/watch_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>

#include "sluice/util/exit_codes.h"
#include "sluice/watch/watch_state.h"
#include "sluice/util/time_format.h"
#include "tests/support/child_process.h"
#include "tests/support/fake_clock.h"

namespace sluice {
namespace {

ObjectVersion V(std::string etag, int second = 0) {
  return ObjectVersion{std::move(etag), 3, *ParseIso8601("2026-11-23T10:00:00Z") +
                                               std::chrono::seconds(second), ""};
}

TEST(WatchTargetTest, ParsesObjectsPrefixesBucketsAndPaths) {
  auto object = ParseWatchTarget("s3://my-bucket/data/file.csv");
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->kind, WatchTarget::kS3Object);
  EXPECT_EQ(object->bucket, "my-bucket");
  EXPECT_EQ(object->key, "data/file.csv");
  EXPECT_EQ(object->uri, "s3://my-bucket/data/file.csv");

  auto prefix = ParseWatchTarget("s3://my-bucket/uploads/");
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix->kind, WatchTarget::kS3Prefix);
  EXPECT_EQ(prefix->key, "uploads/");
  EXPECT_EQ(prefix->ObjectUri("uploads/a b.csv"), "s3://my-bucket/uploads/a b.csv");

  auto bucket = ParseWatchTarget("s3://my.bucket");
  ASSERT_TRUE(bucket.ok());
  EXPECT_EQ(bucket->kind, WatchTarget::kS3Prefix);
  EXPECT_EQ(bucket->key, "");
  EXPECT_EQ(bucket->uri, "s3://my.bucket/");

  auto local = ParseWatchTarget("file:///data/in");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->kind, WatchTarget::kLocal);
  EXPECT_EQ(local->path, "/data/in");

  for (const char* bad : {"s3://", "s3://ab/k", "s3://Upper/k", "s3://-dash/k", "http://x/y", ""}) {
    EXPECT_FALSE(ParseWatchTarget(bad).ok()) << bad;
  }
}

TEST(WatchEventTest, JsonHasTheDocumentedFields) {
  WatchEvent e{ChangeKind::kUpdated, "s3://b/k", "b", "k", V("abc", 5), "poll",
               *ParseIso8601("2026-11-23T10:01:00Z")};
  e.object.version_id = "v9";
  auto j = ToJson(e);
  EXPECT_EQ(j.dump(),
            R"({"bucket":"b","detected_at":"2026-11-23T10:01:00Z","etag":"abc","event":"updated",)"
            R"("key":"k","last_modified":"2026-11-23T10:00:05Z","size":3,"source":"poll",)"
            R"("uri":"s3://b/k","version_id":"v9"})");
  e.object.version_id.clear();
  EXPECT_FALSE(ToJson(e).contains("version_id"));
}

TEST(WatchEventTest, ParsesEventLists) {
  auto kinds = ParseChangeKinds("created,deleted");
  ASSERT_TRUE(kinds.ok());
  EXPECT_EQ(*kinds, (std::vector<ChangeKind>{ChangeKind::kCreated, ChangeKind::kDeleted}));
  EXPECT_FALSE(ParseChangeKinds("created,moved").ok());
  EXPECT_FALSE(ParseChangeKinds("").ok());
}

TEST(DiffSnapshotsTest, FindsCreatedUpdatedAndDeletedInKeyOrder) {
  Snapshot before{{"a", V("1")}, {"b", V("2")}, {"c", V("3")}, {"e", V("5")}};
  Snapshot after{{"b", V("2")}, {"c", V("3", 1)}, {"d", V("4")}, {"e", V("5")}};
  auto changes = DiffSnapshots(before, after);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].kind, ChangeKind::kDeleted);
  EXPECT_EQ(changes[0].key, "a");
  EXPECT_EQ(changes[0].object.etag, "1");
  EXPECT_EQ(changes[1].kind, ChangeKind::kUpdated);  // same ETag, new Last-Modified
  EXPECT_EQ(changes[1].key, "c");
  EXPECT_EQ(changes[2].kind, ChangeKind::kCreated);
  EXPECT_EQ(changes[2].key, "d");
  EXPECT_TRUE(DiffSnapshots(after, after).empty());
}

// Answers polls from a script of snapshots (or errors); the last entry repeats.
class ScriptedWatcher : public Watcher {
 public:
  ScriptedWatcher(std::string uri, std::deque<Result<Snapshot>> script)
      : script_(std::move(script)) {
    target_ = *ParseWatchTarget(uri);
  }
  Status Check() override {
    ++*checks;
    return check;
  }
  std::string CheckScope() const override { return scope; }
  Result<Snapshot> Poll() override {
    ++*polls;
    Result<Snapshot> r = script_.front();
    if (script_.size() > 1) script_.pop_front();
    return r;
  }
  const WatchTarget& target() const override { return target_; }
  std::string_view source() const override { return "poll"; }

  Status check;
  std::string scope;
  std::shared_ptr<std::atomic<int>> checks = std::make_shared<std::atomic<int>>(0);
  // Outlives the watcher (RunWatch owns and destroys it), so tests can read it afterwards.
  std::shared_ptr<std::atomic<int>> polls = std::make_shared<std::atomic<int>>(0);

 private:
  WatchTarget target_;
  std::deque<Result<Snapshot>> script_;
};

class WatchLoopTest : public ::testing::Test {
 protected:
  WatchDeps Deps(int max_sleeps = 20) {
    WatchDeps deps;
    deps.clock = &clock_;
    deps.emit = [this](const nlohmann::json& j) {
      events_.push_back(j);
      return true;
    };
    deps.sleep = [this, max_sleeps](std::chrono::milliseconds d) {
      clock_.SleepFor(d);
      return static_cast<int>(clock_.sleeps.size()) <= max_sleeps;  // then "interrupted"
    };
    deps.interrupted = [] { return false; };
    deps.log = [this](const std::string& line) { log_.push_back(line); };
    deps.state = store_;
    return deps;
  }
  int Run(const WatchOptions& options, std::vector<std::unique_ptr<Watcher>> watchers,
          int max_sleeps = 20) {
    return RunWatch(options, std::move(watchers), Deps(max_sleeps));
  }
  static std::vector<std::unique_ptr<Watcher>> One(std::unique_ptr<ScriptedWatcher> w) {
    std::vector<std::unique_ptr<Watcher>> v;
    v.push_back(std::move(w));
    return v;
  }

  testing::FakeClock clock_;
  StateStore* store_ = nullptr;  // --state, when a test sets one
  std::vector<nlohmann::json> events_;
  std::vector<std::string> log_;
};

TEST_F(WatchLoopTest, FirstPollIsTheBaselineThenChangesAreEvents) {
  auto w = std::make_unique<ScriptedWatcher>(
      "s3://bucket/p/", std::deque<Result<Snapshot>>{Snapshot{{"p/a", V("1")}},
                                                     Snapshot{{"p/a", V("1")}, {"p/b", V("2")}},
                                                     Snapshot{{"p/b", V("2")}}});
  EXPECT_EQ(Run({.interval = std::chrono::seconds(1)}, One(std::move(w)), 3), kExitInterrupted);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0]["event"], "created");
  EXPECT_EQ(events_[0]["key"], "p/b");
  EXPECT_EQ(events_[1]["event"], "deleted");
  EXPECT_EQ(events_[1]["key"], "p/a");
  EXPECT_EQ(log_.front(), "watching 1 target, every 1s");
  EXPECT_EQ(clock_.sleeps[0], std::chrono::seconds(1));
}

TEST_F(WatchLoopTest, InitialEmitsExistsAndOnceStopsAfterOneEvent) {
  auto w = std::make_unique<ScriptedWatcher>(
      "s3://bucket/p/", std::deque<Result<Snapshot>>{Snapshot{{"p/a", V("1")}, {"p/b", V("2")}}});
  EXPECT_EQ(Run({.once = true, .initial = true}, One(std::move(w))), kExitSuccess);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0]["event"], "exists");
}

TEST_F(WatchLoopTest, TimeoutWithoutEventsIs124AndCountsFromTheLastEvent) {
  auto w = std::make_unique<ScriptedWatcher>(
      "s3://bucket/k", std::deque<Result<Snapshot>>{Snapshot{}, Snapshot{}, Snapshot{{"k", V("1")}},
                                                    Snapshot{{"k", V("1")}}});
  EXPECT_EQ(Run({.interval = std::chrono::seconds(1), .timeout = std::chrono::milliseconds(2500)},
                One(std::move(w))),
            kExitTimeout);
  ASSERT_EQ(events_.size(), 1u);
  // The event at t=2s restarted the 2.5 s count: it ran out at t=4.5s.
  EXPECT_EQ(clock_.now - *ParseIso8601("2026-01-01T00:00:00Z"), std::chrono::milliseconds(4500));
}

TEST_F(WatchLoopTest, FiltersByEventKindAndGlobs) {
  auto w = std::make_unique<ScriptedWatcher>(
      "s3://bucket/", std::deque<Result<Snapshot>>{
                          Snapshot{{"x.csv", V("1")}},
                          Snapshot{{"x.csv", V("2")}, {"a.csv", V("1")}, {"tmp/b.csv", V("1")},
                                   {"c.txt", V("1")}}});
  WatchOptions options;
  options.events = {ChangeKind::kCreated};
  options.include.push_back(*Glob::Parse("*.csv"));
  options.exclude.push_back(*Glob::Parse("tmp/**"));
  EXPECT_EQ(Run(options, One(std::move(w)), 2), kExitInterrupted);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0]["key"], "a.csv");
}

TEST_F(WatchLoopTest, TransientErrorsKeepTheWatchGoingAndAreLoggedOnce) {
  Error throttled;
  throttled.code = "SlowDown";
  throttled.http_status = 503;
  auto w = std::make_unique<ScriptedWatcher>(
      "s3://bucket/k", std::deque<Result<Snapshot>>{Snapshot{}, throttled, throttled,
                                                    Snapshot{{"k", V("1")}}});
  EXPECT_EQ(Run({}, One(std::move(w)), 4), kExitInterrupted);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0]["event"], "created");
  int warnings = 0;
  for (const auto& line : log_) warnings += line.starts_with("warning: polling s3://bucket/k failed");
  EXPECT_EQ(warnings, 1);
}

TEST_F(WatchLoopTest, AccessDeniedMidWatchIsFatal) {
  Error denied;
  denied.code = "AccessDenied";
  denied.http_status = 403;
  auto w = std::make_unique<ScriptedWatcher>("s3://bucket/k",
                                             std::deque<Result<Snapshot>>{Snapshot{}, denied});
  EXPECT_EQ(Run({}, One(std::move(w))), kExitFailure);
  EXPECT_NE(log_.back().find("AccessDenied"), std::string::npos) << log_.back();
}

TEST_F(WatchLoopTest, FailedCheckIsExit1BeforeAnyPoll) {
  auto w = std::make_unique<ScriptedWatcher>("s3://bucket/k",
                                             std::deque<Result<Snapshot>>{Snapshot{}});
  Error missing;
  missing.code = "NoSuchBucket";
  missing.message = "bucket bucket does not exist";
  w->check = missing;
  auto polls = w->polls;
  EXPECT_EQ(Run({}, One(std::move(w))), kExitFailure);
  EXPECT_EQ(*polls, 0);
  EXPECT_EQ(log_.back(), "cannot watch s3://bucket/k: NoSuchBucket: bucket bucket does not exist");
}

// Many targets in one bucket: one check at start, not one per target.
TEST_F(WatchLoopTest, TargetsSharingACheckScopeAreCheckedOnce) {
  std::vector<std::unique_ptr<Watcher>> watchers;
  auto checks = std::make_shared<std::atomic<int>>(0);
  for (const char* uri : {"s3://bucket/a", "s3://bucket/b", "s3://bucket/c", "s3://other/d"}) {
    auto w = std::make_unique<ScriptedWatcher>(uri, std::deque<Result<Snapshot>>{Snapshot{}});
    w->scope = "s3://" + w->target().bucket;
    w->checks = checks;
    watchers.push_back(std::move(w));
  }
  EXPECT_EQ(Run({}, std::move(watchers), 1), kExitInterrupted);
  EXPECT_EQ(*checks, 2);
}

TEST_F(WatchLoopTest, StateCarriesTheBaselineAcrossRuns) {
  std::string dir = testing::MakeTempDir("sluice-watch-state-");
  WatchOptions options;
  FileStateStore store(dir + "/state.json");
  store_ = &store;
  {
    auto w = std::make_unique<ScriptedWatcher>(
        "s3://bucket/p/", std::deque<Result<Snapshot>>{Snapshot{{"p/a", V("1")}}});
    EXPECT_EQ(Run(options, One(std::move(w)), 1), kExitInterrupted);
    EXPECT_TRUE(events_.empty());
  }
  // Restarted after a change made while it was down: the change is emitted, once.
  auto w = std::make_unique<ScriptedWatcher>(
      "s3://bucket/p/", std::deque<Result<Snapshot>>{Snapshot{{"p/a", V("2")}}});
  EXPECT_EQ(Run(options, One(std::move(w)), 2), kExitInterrupted);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0]["event"], "updated");
  testing::RemoveTree(dir);
}

TEST_F(WatchLoopTest, EventsTheReaderHadNotReadAreReplayedAtTheNextStart) {
  std::string dir = testing::MakeTempDir("sluice-watch-replay-");
  WatchOptions options;
  FileStateStore store(dir + "/state.json");
  store_ = &store;
  std::optional<size_t> unread = 0;
  auto run = [&](Snapshot first, Snapshot second, int sleeps) {
    WatchDeps deps = Deps(static_cast<int>(clock_.sleeps.size()) + sleeps);  // the clock's count goes on
    log_.clear();
    deps.unread_output = [&] { return unread; };
    auto w = std::make_unique<ScriptedWatcher>("s3://bucket/p/",
                                               std::deque<Result<Snapshot>>{first, second});
    return RunWatch(options, One(std::move(w)), deps);
  };
  // The reader (a pipe) leaves 100 bytes unread: the last event may be among them.
  unread = 100;
  EXPECT_EQ(run(Snapshot{}, Snapshot{{"p/a", V("1")}, {"p/b", V("1")}}, 1), kExitInterrupted);
  ASSERT_EQ(events_.size(), 2u);
  events_.clear();
  unread = 0;  // this time the reader keeps up
  EXPECT_EQ(run(Snapshot{{"p/a", V("1")}, {"p/b", V("1")}}, Snapshot{{"p/a", V("1")}, {"p/b", V("1")}}, 1),
            kExitInterrupted);
  // Both fit within the unread bytes and the reader's buffer: both come again, marked.
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0]["key"], "p/a");
  EXPECT_EQ(events_[0]["replayed"], true);
  EXPECT_EQ(events_[1]["key"], "p/b");
  EXPECT_NE(log_[0].find("replaying 2 event(s)"), std::string::npos) << log_[0];
  // The reader took everything before this stop: nothing is replayed after it.
  events_.clear();
  EXPECT_EQ(run(Snapshot{{"p/a", V("1")}, {"p/b", V("1")}}, Snapshot{{"p/a", V("1")}, {"p/b", V("1")}}, 1),
            kExitInterrupted);
  EXPECT_TRUE(events_.empty());
  // Output to a file (unread 0) keeps none; an unknown backlog keeps the last events.
  unread = std::nullopt;
  EXPECT_EQ(run(Snapshot{{"p/a", V("1")}, {"p/b", V("1")}}, Snapshot{{"p/a", V("2")}, {"p/b", V("1")}}, 1),
            kExitInterrupted);
  auto saved = WatchState::Load(store.name());
  ASSERT_TRUE(saved.ok());
  ASSERT_EQ(saved->Replay().size(), 1u);
  EXPECT_EQ(saved->Replay()[0]["event"], "updated");
  testing::RemoveTree(dir);
}

// A store with a lease (--state s3://…) that counts its saves.
class LeasedStore : public StateStore {
 public:
  Result<WatchState> Load() override { return WatchState(); }
  Status Save(WatchState&) override {
    ++saves;
    return fail_saves ? Status(Error::Config("taken over")) : Status::Ok();
  }
  Status Release(WatchState&) override {
    ++releases;
    return Status::Ok();
  }
  std::chrono::milliseconds renew_every() const override { return std::chrono::seconds(20); }
  const std::string& name() const override { return name_; }
  int saves = 0;
  int releases = 0;
  bool fail_saves = false;

 private:
  std::string name_ = "s3://bucket/state";
};

TEST_F(WatchLoopTest, ALeasedStateIsRenewedWhileTheWatcherSleepsAndATakeoverStopsIt) {
  LeasedStore store;
  store_ = &store;
  auto w = std::make_unique<ScriptedWatcher>("s3://bucket/p/",
                                             std::deque<Result<Snapshot>>{Snapshot{}});
  // A 1-minute interval, nothing changing: the lease is renewed every 20 s all the same.
  EXPECT_EQ(Run({.interval = std::chrono::minutes(1)}, One(std::move(w)), 6), kExitInterrupted);
  EXPECT_EQ(clock_.sleeps[0], std::chrono::seconds(20));
  EXPECT_EQ(clock_.sleeps[1], std::chrono::seconds(20));
  EXPECT_EQ(clock_.sleeps[2], std::chrono::seconds(20));
  // The first pass, then a renewal after each 20 s sleep (the poll each minute, just after one,
  // needs no save of its own); then the release at the interrupt.
  EXPECT_EQ(store.saves, 1 + 6);
  EXPECT_EQ(store.releases, 1);
  // When a renewal finds the state taken over, the watch stops with exit 1, saying so.
  store.fail_saves = true;
  log_.clear();
  auto again = std::make_unique<ScriptedWatcher>("s3://bucket/p/",
                                                 std::deque<Result<Snapshot>>{Snapshot{}});
  EXPECT_EQ(Run({.interval = std::chrono::minutes(1)}, One(std::move(again))), kExitFailure);
  EXPECT_NE(log_.back().find("taken over"), std::string::npos) << log_.back();
}

TEST_F(WatchLoopTest, ClosedStdoutEndsTheWatchQuietly) {
  auto w = std::make_unique<ScriptedWatcher>(
      "s3://bucket/p/", std::deque<Result<Snapshot>>{Snapshot{{"p/a", V("1")}}});
  WatchDeps deps = Deps();
  deps.emit = [](const nlohmann::json&) { return false; };
  WatchOptions options;
  options.initial = true;
  EXPECT_EQ(RunWatch(options, One(std::move(w)), deps), kExitSuccess);
}

TEST_F(WatchLoopTest, ManyTargetsArePolledInParallel) {
  std::vector<std::unique_ptr<Watcher>> watchers;
  std::vector<std::shared_ptr<std::atomic<int>>> polls;
  for (int i = 0; i < 200; ++i) {
    auto w = std::make_unique<ScriptedWatcher>(
        "s3://bucket/k" + std::to_string(i),
        std::deque<Result<Snapshot>>{Snapshot{}, Snapshot{{"k" + std::to_string(i), V("1")}}});
    polls.push_back(w->polls);
    watchers.push_back(std::move(w));
  }
  EXPECT_EQ(Run({.max_parallel = 8}, std::move(watchers), 1), kExitInterrupted);
  EXPECT_EQ(events_.size(), 200u);
  for (const auto& p : polls) EXPECT_EQ(*p, 2);
}

}  // namespace
}  // namespace sluice
