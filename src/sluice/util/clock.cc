#include "sluice/util/clock.h"

#include <thread>

namespace sluice {
namespace {
class SystemClock : public Clock {
 public:
  SystemTime Now() override { return std::chrono::system_clock::now(); }
  void SleepFor(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
};
}  // namespace

Clock& RealClock() {
  static SystemClock clock;
  return clock;
}

}  // namespace sluice
