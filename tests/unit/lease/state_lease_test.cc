// The lease of a state kept in S3 (pure) and LeasedObject's claim when two processes race,
// against the in-memory object with S3's rules. The stores built on it are tested with their
// documents: tests/unit/watch/s3_state_store_test.cc, tests/unit/trigger/trigger_journal_test.cc.
#include "sluice/lease/leased_object.h"

#include <gtest/gtest.h>

#include "sluice/lease/memory_object.h"
#include "tests/support/fake_clock.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(StateLeaseTest, AWaitIsNeededOnlyForAnotherLiveHolder) {
  StateLease held = PretendLease("other", 7);
  EXPECT_TRUE(WaitForLease(std::nullopt, "me", seconds(1)).free);
  EXPECT_TRUE(WaitForLease(held, "other", seconds(1)).free);  // our own, from a lost answer
  StateLease released = held;
  released.released = true;
  EXPECT_TRUE(WaitForLease(released, "me", seconds(0)).free);
  // 30 s lease written 10 s ago: 20 s more, plus the 2 s that whole-second dates may hide.
  LeaseWait wait = WaitForLease(held, "me", seconds(10));
  EXPECT_FALSE(wait.free);
  EXPECT_EQ(wait.wait, seconds(22));
  EXPECT_EQ(WaitForLease(held, "me", std::nullopt).wait, seconds(32));  // age unknown: a whole lease
  EXPECT_TRUE(WaitForLease(held, "me", seconds(32)).free);
}

TEST(StateLeaseTest, EachProcessGetsItsOwnOwnerId) {
  StateLease a = NewLeaseForThisProcess(seconds(60));
  StateLease b = NewLeaseForThisProcess(seconds(60));
  EXPECT_EQ(a.owner.size(), 16u);
  EXPECT_NE(a.owner, b.owner);
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.duration, seconds(60));
  EXPECT_EQ(LeaseFromJson(LeaseToJson(a))->owner, a.owner);
  EXPECT_FALSE(LeaseFromJson(nlohmann::json{{"owner", "x"}}));
}

// A document whose lease is its first line, as sluice-trigger's journal keeps it.
class LeasedObjectTest : public ::testing::Test {
 protected:
  std::unique_ptr<LeasedObject> Holder(std::string owner, int pid) {
    LeasedObjectDeps deps;
    deps.clock = &clock_;
    deps.sleep = [this](milliseconds d) {
      clock_.SleepFor(d);
      return !interrupt_;
    };
    deps.log = [](const std::string&) {};
    return std::make_unique<LeasedObject>(
        MakeMemoryObject(&object_, &clock_), PretendLease(std::move(owner), pid),
        LeaseHolderNames{"sluice-test", "--doc"},
        [](const std::string& body) -> Result<std::optional<StateLease>> {
          auto j = nlohmann::json::parse(body.substr(0, body.find('\n')), nullptr, false);
          if (j.is_discarded()) return Error::Config("not a document");
          return LeaseFromJson(j);
        },
        std::move(deps));
  }
  static LeasedObject::BodyWriter Body(std::string payload) {
    return [payload](const StateLease& lease) { return LeaseToJson(lease).dump() + "\n" + payload; };
  }

  testing::FakeClock clock_;
  MemoryObjectState object_;
  bool interrupt_ = false;
};

TEST_F(LeasedObjectTest, AClaimReturnsWhatTheLastHolderWroteAndARenewalKeepsIt) {
  auto first = Holder("aaaa", 1);
  auto found = first->Claim([](const auto&) { return Body("one"); });
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  ASSERT_TRUE(first->Write(Body("two"), /*release=*/true).ok());
  auto second = Holder("bbbb", 2);
  auto resumed = second->Claim([](const std::optional<std::string>& body) {
    return Body(body ? body->substr(body->find('\n') + 1) + "+" : "none");
  });
  ASSERT_TRUE(resumed.ok());
  ASSERT_TRUE(resumed->has_value());
  EXPECT_EQ((*resumed)->substr((*resumed)->find('\n') + 1), "two");
  EXPECT_EQ(object_.body->substr(object_.body->find('\n') + 1), "two+");
  EXPECT_TRUE(clock_.sleeps.empty());  // released: no wait
}

TEST_F(LeasedObjectTest, AnInterruptDuringTheWaitForALeaseEndsTheClaim) {
  auto first = Holder("aaaa", 1);
  ASSERT_TRUE(first->Claim([](const auto&) { return Body(""); }).ok());
  interrupt_ = true;
  auto second = Holder("bbbb", 2)->Claim([](const auto&) { return Body(""); });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::kInterrupted);
}

TEST_F(LeasedObjectTest, AnUnreadableDocumentIsNotTakenOver) {
  object_.body = "garbage";
  auto claim = Holder("aaaa", 1)->Claim([](const auto&) { return Body(""); });
  ASSERT_FALSE(claim.ok());
  EXPECT_EQ(*object_.body, "garbage");
  EXPECT_EQ(object_.puts, 0);
}

TEST_F(LeasedObjectTest, AWriteAfterATakeoverIsRefusedAsTakenOver) {
  auto first = Holder("aaaa", 1);
  ASSERT_TRUE(first->Claim([](const auto&) { return Body(""); }).ok());
  clock_.now += std::chrono::minutes(2);
  ASSERT_TRUE(Holder("bbbb", 2)->Claim([](const auto&) { return Body(""); }).ok());
  Status s = first->Write(Body("late"), false);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(IsTakenOver(s.error()));
  EXPECT_NE(s.error().message.find("another sluice-test (pid 2 on host-2)"), std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace sluice
