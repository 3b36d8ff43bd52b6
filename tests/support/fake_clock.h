// FakeClock: a Clock whose time moves only when the code under test sleeps (or a test moves
// it), recording every sleep, so retries, backoff and credential expiry are tested without
// waiting. Not thread-safe: for code that sleeps on one thread.
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

#include "sluice/util/clock.h"
#include "sluice/util/time_format.h"

namespace sluice::testing {

class FakeClock : public Clock {
 public:
  explicit FakeClock(std::string_view start = "2026-01-01T00:00:00Z")
      : now(*ParseIso8601(start)) {}
  SystemTime Now() override { return now; }
  void SleepFor(std::chrono::milliseconds d) override {
    sleeps.push_back(d);
    now += d;
  }

  SystemTime now;
  std::vector<std::chrono::milliseconds> sleeps;
};

}  // namespace sluice::testing
