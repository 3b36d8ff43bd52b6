// The pacing of GetLogEvents: fast while lines arrive, backing off while idle and further on
// throttling, back to fast with the next lines.
#include "sluice/run_once/log_poll_pacer.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using std::chrono::milliseconds;

TEST(LogPollPacerTest, IdleStreamsBackOffToTheIdleCeiling) {
  LogPollPacer pacer({milliseconds(1000), milliseconds(8000), milliseconds(30000)});
  EXPECT_EQ(pacer.interval(), milliseconds(1000));
  pacer.Read(3);
  EXPECT_EQ(pacer.interval(), milliseconds(1000));
  std::vector<long> seen;
  for (int i = 0; i < 6; ++i) {
    pacer.Read(0);
    seen.push_back(pacer.interval().count());
  }
  EXPECT_EQ(seen, (std::vector<long>{2000, 4000, 8000, 8000, 8000, 8000}));
  pacer.Read(1);  // lines again: fast at once
  EXPECT_EQ(pacer.interval(), milliseconds(1000));
}

TEST(LogPollPacerTest, ThrottlingBacksOffBeyondTheIdleCeiling) {
  LogPollPacer pacer({milliseconds(1000), milliseconds(8000), milliseconds(30000)});
  std::vector<long> seen;
  for (int i = 0; i < 7; ++i) {
    pacer.Throttled();
    seen.push_back(pacer.interval().count());
  }
  EXPECT_EQ(seen, (std::vector<long>{2000, 4000, 8000, 16000, 30000, 30000, 30000}));
  pacer.Read(0);  // idle after throttling: no faster than the idle ceiling allows
  EXPECT_EQ(pacer.interval(), milliseconds(8000));
}

// One followed task over a 10-minute idle stretch: the calls it spends on GetLogEvents.
TEST(LogPollPacerTest, AnIdleTaskCostsAFractionOfAFixedOneSecondPoll) {
  LogPollPacer pacer({milliseconds(1000), milliseconds(8000), milliseconds(30000)});
  long elapsed = 0, calls = 0;
  while (elapsed < 600000) {
    elapsed += pacer.interval().count();
    ++calls;
    pacer.Read(0);
  }
  EXPECT_LE(calls, 600 / 8 + 4);  // 78 calls instead of 600
}

}  // namespace
}  // namespace sluice
