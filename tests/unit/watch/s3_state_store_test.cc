// The --state s3://… store: claiming, renewing, releasing and taking over the state, against an
// in-memory object with S3's conditional-write rules (lease/memory_object.h) and a fake clock. The same store against moto, and through a proxy reproducing S3's 409, is in
// tests/integration/watch_s3_state_test.cc.
#include "sluice/watch/s3_state_store.h"

#include <gtest/gtest.h>

#include <functional>
#include <utility>
#include <optional>

#include "sluice/lease/memory_object.h"
#include "sluice/util/time_format.h"
#include "tests/support/fake_clock.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class S3StateStoreTest : public ::testing::Test {
 protected:
  // A store for one watcher; `on_sleep` runs at each of its sleeps (another watcher's turn).
  std::unique_ptr<S3StateStore> Store(std::string owner, int pid,
                                      std::function<void()> on_sleep = nullptr) {
    LeasedObjectDeps deps;
    deps.clock = &clock_;
    deps.sleep = [this, on_sleep](milliseconds d) {
      clock_.SleepFor(d);
      if (on_sleep) on_sleep();
      return true;
    };
    deps.log = [this](const std::string& line) { log_.push_back(line); };
    return std::make_unique<S3StateStore>(MakeMemoryObject(&object_, &clock_),
                                          PretendLease(std::move(owner), pid), std::move(deps));
  }
  StateLease SavedLease() const {
    auto state = WatchState::Parse(*object_.body, "test");
    EXPECT_TRUE(state.ok());
    return *state->Lease();
  }

  testing::FakeClock clock_;
  MemoryObjectState object_;
  std::vector<std::string> log_;
};

TEST(StateLeaseTest, SurvivesTheStateFileRoundTripAndBadOnesAreNamed) {
  WatchState state;
  StateLease lease = PretendLease("0123abcd", 42);
  lease.sequence = 9;
  state.SetLease(lease);
  auto back = WatchState::Parse(state.Serialize(), "s3://b/k");
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->Lease());
  EXPECT_EQ(back->Lease()->owner, "0123abcd");
  EXPECT_EQ(back->Lease()->Describe(), "pid 42 on host-42");
  EXPECT_EQ(back->Lease()->sequence, 9u);
  EXPECT_EQ(back->Lease()->duration, seconds(30));
  auto bad = WatchState::Parse(R"({"version":1,"targets":{},"lease":{"owner":7}})", "s3://b/k");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("s3://b/k"), std::string::npos);
  EXPECT_NE(bad.error().message.find("lease"), std::string::npos);
}

TEST_F(S3StateStoreTest, TheFirstWatcherCreatesTheStateAndEachSaveRenewsIt) {
  auto store = Store("aaaa", 1);
  auto state = store->Load();
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  ASSERT_TRUE(object_.body);
  EXPECT_EQ(SavedLease().owner, "aaaa");
  EXPECT_EQ(store->renew_every(), seconds(10));
  // Nothing changed, yet each save changes the bytes (and so the ETag) a successor watches.
  std::string etag = object_.Etag();
  ASSERT_TRUE(store->Save(*state).ok());
  EXPECT_NE(object_.Etag(), etag);
  EXPECT_EQ(SavedLease().sequence, 2u);
  ASSERT_TRUE(store->Release(*state).ok());
  EXPECT_TRUE(SavedLease().released);
}

TEST_F(S3StateStoreTest, AReplacementAfterACleanStopResumesAtOnce) {
  {
    auto first = Store("aaaa", 1);
    auto state = first->Load();
    ASSERT_TRUE(state.ok());
    state->Set("s3://data/in/", {{"in/a", {"e1", 1, clock_.Now(), ""}}});
    ASSERT_TRUE(first->Release(*state).ok());
  }
  auto second = Store("bbbb", 2);
  auto state = second->Load();
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  ASSERT_TRUE(state->Find("s3://data/in/"));
  EXPECT_EQ(state->Find("s3://data/in/")->count("in/a"), 1u);
  EXPECT_TRUE(clock_.sleeps.empty());
  EXPECT_EQ(SavedLease().owner, "bbbb");
  EXPECT_GT(SavedLease().sequence, 2u);  // sequences go on: every write differs
}

TEST_F(S3StateStoreTest, AReplacementAfterAKillWaitsForTheLeaseThenTheOldOneIsStoppedAtItsNextSave) {
  auto first = Store("aaaa", 1);
  auto first_state = first->Load();
  ASSERT_TRUE(first_state.ok());
  clock_.now += seconds(10);  // then it was killed, or its machine lost
  auto second = Store("bbbb", 2);
  auto state = second->Load();
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  EXPECT_EQ(SavedLease().owner, "bbbb");
  // It waited out the rest of the lease (30 s - 10 s, + 2 s), watching for a renewal.
  milliseconds waited{0};
  for (auto d : clock_.sleeps) waited += d;
  EXPECT_EQ(waited, seconds(22));
  EXPECT_GT(object_.heads, 1);
  EXPECT_NE(log_[0].find("is held by pid 1 on host-1; waiting up to 22s"), std::string::npos)
      << log_[0];
  // The first was only paused: its next save finds the state taken over, and says by whom.
  Status s = first->Save(*first_state);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("taken over by another sluice-watch (pid 2 on host-2)"),
            std::string::npos)
      << s.error().message;
}

TEST_F(S3StateStoreTest, ALeaseLongLapsedIsTakenOverWithoutWaiting) {
  auto first = Store("aaaa", 1);
  ASSERT_TRUE(first->Load().ok());
  clock_.now += std::chrono::minutes(5);
  auto second = Store("bbbb", 2);
  ASSERT_TRUE(second->Load().ok());
  EXPECT_TRUE(clock_.sleeps.empty());
  EXPECT_EQ(SavedLease().owner, "bbbb");
}

TEST_F(S3StateStoreTest, ASecondWatcherWhileTheFirstRenewsIsRefusedNamingIt) {
  auto first = Store("aaaa", 1);
  auto first_state = first->Load();
  ASSERT_TRUE(first_state.ok());
  SystemTime last_renewal = clock_.Now();
  // While the second waits, the first keeps renewing every third of its lease.
  auto second = Store("bbbb", 2, [&] {
    if (clock_.Now() - last_renewal >= first->renew_every()) {
      ASSERT_TRUE(first->Save(*first_state).ok());
      last_renewal = clock_.Now();
    }
  });
  auto refused = second->Load();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kConfig);
  EXPECT_NE(refused.error().message.find("in use by another sluice-watch (pid 1 on host-1)"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(SavedLease().owner, "aaaa");  // untouched
  // Refused at the first renewal, not after a whole lease.
  milliseconds waited{0};
  for (auto d : clock_.sleeps) waited += d;
  EXPECT_LE(waited, seconds(15));
  EXPECT_TRUE(first->Save(*first_state).ok());
}

TEST_F(S3StateStoreTest, OfTwoWatchersStartingAtOnceTheOneThatCreatesTheStateWins) {
  std::unique_ptr<S3StateStore> first = Store("aaaa", 1);
  std::optional<WatchState> first_state;
  SystemTime last_renewal = clock_.Now();
  auto second = Store("bbbb", 2, [&] {
    if (clock_.Now() - last_renewal >= first->renew_every()) {
      ASSERT_TRUE(first->Save(*first_state).ok());
      last_renewal = clock_.Now();
    }
  });
  // Both found no state; the first's If-None-Match create lands between the second's read and
  // its own create, which is then refused (412) and judged again: held, and renewed.
  object_.before_next_put = [&] {
    auto loaded = first->Load();
    ASSERT_TRUE(loaded.ok());
    first_state = std::move(loaded).value();
  };
  auto refused = second->Load();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("pid 1 on host-1"), std::string::npos);
  EXPECT_EQ(SavedLease().owner, "aaaa");
}

TEST_F(S3StateStoreTest, AConflictIsRetriedAndALostAnswerIsRecognisedAsItsOwnWrite) {
  auto store = Store("aaaa", 1);
  auto state = store->Load();
  ASSERT_TRUE(state.ok());
  object_.conflict_next = true;
  ASSERT_TRUE(store->Save(*state).ok());
  EXPECT_EQ(SavedLease().sequence, 2u);
  object_.lose_answer_next = true;
  Status s = store->Save(*state);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(SavedLease().sequence, 3u);
  // And the ETag it now holds is the real one: the next save goes through.
  ASSERT_TRUE(store->Save(*state).ok());
  EXPECT_EQ(SavedLease().sequence, 4u);
}

TEST_F(S3StateStoreTest, AStateDeletedOrDamagedUnderTheWatcherStopsItNamingTheObject) {
  auto store = Store("aaaa", 1);
  auto state = store->Load();
  ASSERT_TRUE(state.ok());
  object_.body.reset();
  Status s = store->Save(*state);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("s3://bucket/state.json was changed or deleted"),
            std::string::npos)
      << s.error().message;
  object_.body = "{not json";
  auto damaged = Store("bbbb", 2)->Load();
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.error().message.find("s3://bucket/state.json is unusable"), std::string::npos)
      << damaged.error().message;
}

}  // namespace
}  // namespace sluice
