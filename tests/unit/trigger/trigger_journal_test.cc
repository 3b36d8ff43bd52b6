// sluice-trigger's --journal: what it reads back (torn lines, finished before accepted), how it
// compacts, and what the runner does with it: unfinished events replayed first, finished ones
// skipped across restarts, cancelled ones left to replay; in S3 (an in-memory object with S3's
// rules), the same across processes, and a journal taken over stops the run.
#include "sluice/trigger/trigger_journal.h"

#include <gtest/gtest.h>

#include "sluice/lease/memory_object.h"
#include "sluice/os/file_read.h"
#include "sluice/trigger/trigger_runner.h"
#include "sluice/util/exit_codes.h"
#include "sluice/util/time_format.h"
#include "tests/support/child_process.h"
#include "tests/support/fake_clock.h"

namespace sluice {
namespace {

using nlohmann::json;

TriggerEvent Event(const std::string& key) {
  TriggerEvent event;
  event.fields = {{"event", "created"}, {"uri", "s3://b/" + key}, {"key", key}, {"etag", "e"}};
  return event;
}

std::string AcceptedLine(const std::string& key) {
  TriggerEvent e = Event(key);
  return json{{"accepted", e.fields}, {"id", e.Id()}}.dump() + "\n";
}

std::string FinishedLine(const std::string& key, const std::string& status = "done") {
  return json{{"finished", Event(key).Id()}, {"status", status}}.dump() + "\n";
}

TEST(ParseJournalTest, UnfinishedAreTheAcceptedWithoutAFinishedLineInOrder) {
  size_t skipped = 0;
  auto contents = ParseJournal(AcceptedLine("a") + AcceptedLine("b") + FinishedLine("a") +
                                   AcceptedLine("c") + AcceptedLine("b") + "{\"accep",
                               &skipped);
  ASSERT_EQ(contents.unfinished.size(), 2u);
  EXPECT_EQ(contents.unfinished[0]["key"], "b");
  EXPECT_EQ(contents.unfinished[1]["key"], "c");
  EXPECT_EQ(contents.finished.at(Event("a").Id()), "done");
  EXPECT_EQ(skipped, 1u);  // the torn last line
}

TEST(ParseJournalTest, CompactionKeepsTheUnfinishedAndTheNewestFinished) {
  auto contents = ParseJournal(AcceptedLine("a") + FinishedLine("x") + FinishedLine("y", "failed") +
                               FinishedLine("z"));
  auto compacted = ParseJournal(SerializeJournal(contents, 2));
  ASSERT_EQ(compacted.unfinished.size(), 1u);
  EXPECT_EQ(compacted.unfinished[0]["key"], "a");
  EXPECT_EQ(compacted.finished.size(), 2u);
  EXPECT_FALSE(compacted.finished.count(Event("x").Id()));
  EXPECT_EQ(compacted.finished.at(Event("y").Id()), "failed");
}

class JournalRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-journal-");
    path_ = dir_ + "/journal";
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  class CountingAction : public TriggerAction {
   public:
    std::string_view name() const override { return "count"; }
    ActionOutcome Run(const TriggerEvent& event, int, const std::atomic<bool>&) override {
      std::lock_guard lock(mutex);
      ran.push_back(event.Field("key").value_or(""));
      ActionOutcome o;
      o.succeeded = event.Field("key") != "bad";
      o.retryable = false;
      return o;
    }
    std::mutex mutex;
    std::vector<std::string> ran;
  };

  // A journal in the in-memory S3 object, as a new sluice-trigger process opens it.
  Result<std::unique_ptr<TriggerJournal>> OpenInS3() {
    LeasedObjectDeps deps;
    deps.clock = &clock_;
    deps.sleep = [this](std::chrono::milliseconds d) {
      clock_.SleepFor(d);
      return true;
    };
    deps.log = [this](const std::string& l) { log_ += l + "\n"; };
    return TriggerJournal::OpenLeased(MakeMemoryObject(&object_, &clock_, "s3://b/journal"),
                                      NewLeaseForThisProcess(std::chrono::seconds(30)),
                                      std::move(deps));
  }

  // One run of the runner over `lines` with the journal (a file, or with in_s3_ the object);
  // returns what the action ran.
  std::vector<std::string> RunWith(std::vector<std::string> lines) {
    auto journal = in_s3_ ? OpenInS3() : TriggerJournal::Open(path_);
    EXPECT_TRUE(journal.ok()) << journal.error().ToString();
    return RunWith(std::move(lines), **journal);
  }
  std::vector<std::string> RunWith(std::vector<std::string> lines, TriggerJournal& journal,
                                   int* exit_code = nullptr) {
    auto source = MakeVectorLineSource(std::move(lines));
    CountingAction action;
    results_.clear();
    TriggerDeps deps;
    deps.input = source.get();
    deps.emit = [this](const json& r) {
      results_.push_back(r);
      return true;
    };
    deps.log = [this](const std::string& l) { log_ += l + "\n"; };
    deps.interrupted = [] { return false; };
    deps.now = [] { return *ParseIso8601("2026-12-03T10:00:00Z"); };
    deps.random01 = [] { return 0.5; };
    deps.journal = &journal;
    int code = RunTrigger(TriggerOptions{}, action, deps);
    if (exit_code) *exit_code = code;
    return action.ran;
  }

  static std::string Line(const std::string& key) { return Event(key).fields.dump(); }

  std::string dir_, path_, log_;
  std::vector<json> results_;
  bool in_s3_ = false;
  testing::FakeClock clock_;
  MemoryObjectState object_;
  int read_error = 0;
};

TEST_F(JournalRunTest, AnEventFinishedInAnEarlierRunIsNotRunAgain) {
  EXPECT_EQ(RunWith({Line("a"), Line("bad")}), (std::vector<std::string>{"a", "bad"}));
  // sluice-watch replays after its own restart, or S3 repeats a notification.
  EXPECT_EQ(RunWith({Line("a"), Line("bad"), Line("c")}), (std::vector<std::string>{"c"}));
  ASSERT_EQ(results_.size(), 3u);
  EXPECT_EQ(results_[0]["status"], "skipped");
  EXPECT_NE(results_[0]["error"].get<std::string>().find("earlier run (done"), std::string::npos);
  EXPECT_NE(results_[1]["error"].get<std::string>().find("earlier run (failed"), std::string::npos);
}

TEST_F(JournalRunTest, WhatAKilledRunAcceptedAndDidNotFinishRunsFirstAsLineZero) {
  // As a kill -9 leaves it: b and c accepted, b finished, c not, and a torn line.
  testing::WriteFile(path_, AcceptedLine("b") + AcceptedLine("c") + FinishedLine("b") + "{\"fin");
  EXPECT_EQ(RunWith({Line("d")}), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(results_[0]["line"], 0);
  EXPECT_NE(log_.find("replaying 1 event(s)"), std::string::npos) << log_;
  // Now finished: a third start replays nothing.
  log_.clear();
  EXPECT_TRUE(RunWith({}).empty());
  EXPECT_EQ(log_.find("replaying"), std::string::npos) << log_;
}

TEST_F(JournalRunTest, TheJournalIsCompactedAtEachStart) {
  RunWith({Line("a"), Line("b"), Line("c")});
  auto before = ReadWholeFile(path_, &read_error);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(ParseJournal(*before).finished.size(), 3u);
  RunWith({});
  auto after = ReadWholeFile(path_, &read_error);
  ASSERT_TRUE(after.has_value());
  EXPECT_LT(after->size(), before->size());  // accepted lines of finished events are gone
  EXPECT_EQ(ParseJournal(*after).finished.size(), 3u);
}

TEST_F(JournalRunTest, InS3FinishedEventsAreNotRunAgainAndADeadHoldersUnfinishedRunFirst) {
  in_s3_ = true;
  EXPECT_EQ(RunWith({Line("a"), Line("bad")}), (std::vector<std::string>{"a", "bad"}));
  // The claim, each event accepted and finished, the release: each a conditional write.
  EXPECT_EQ(object_.puts, 1 + 2 * 2 + 1);
  ASSERT_TRUE(JournalLease(*object_.body));
  EXPECT_TRUE(JournalLease(*object_.body)->released);
  EXPECT_EQ(RunWith({Line("a"), Line("bad"), Line("c")}), (std::vector<std::string>{"c"}));
  EXPECT_EQ(results_[0]["status"], "skipped");
  // A holder killed with x accepted and not finished: once its lease lapsed, x runs first.
  StateLease dead = NewLeaseForThisProcess(std::chrono::seconds(30));
  dead.sequence = 99;
  *object_.body = json{{"lease", LeaseToJson(dead)}}.dump() + "\n" + AcceptedLine("x") + *object_.body;
  ++object_.generation;
  object_.written = clock_.now;
  log_.clear();
  EXPECT_EQ(RunWith({Line("d")}), (std::vector<std::string>{"x", "d"}));
  EXPECT_EQ(results_[0]["line"], 0);
  EXPECT_NE(log_.find("is held by pid"), std::string::npos) << log_;
  EXPECT_NE(log_.find("replaying 1 event(s) an earlier run did not finish (s3://b/journal)"),
            std::string::npos)
      << log_;
  EXPECT_GT(JournalLease(*object_.body)->sequence, 99u);
}

TEST_F(JournalRunTest, InS3AJournalTakenOverStopsTheRunAndRunsNothingMore) {
  auto first = OpenInS3();
  ASSERT_TRUE(first.ok());
  clock_.now += std::chrono::minutes(5);  // the first was paused longer than its lease
  auto second = OpenInS3();
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  int code = 0;
  EXPECT_TRUE(RunWith({Line("a"), Line("b")}, **first, &code).empty());
  EXPECT_EQ(code, kExitFailure);
  EXPECT_TRUE((*first)->Lost());
  ASSERT_FALSE(results_.empty());
  EXPECT_EQ(results_[0]["status"], "cancelled");
  EXPECT_NE(log_.find("was taken over by another sluice-trigger"), std::string::npos) << log_;
  // The one holding it now works as before.
  EXPECT_EQ(RunWith({Line("a")}, **second), (std::vector<std::string>{"a"}));
}

TEST(TriggerJournalOpenTest, AnUnreadableJournalIsAConfigErrorNamingIt) {
  std::string dir = testing::MakeTempDir("sluice-journal-");
  auto opened = TriggerJournal::Open(dir);  // a directory
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, ErrorKind::kConfig);
  EXPECT_NE(opened.error().message.find(dir), std::string::npos) << opened.error().message;
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace sluice
