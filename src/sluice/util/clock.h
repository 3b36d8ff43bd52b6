// Clock: the time and sleeping, behind an interface so retries, credential expiry and polling are
// tested with a fake clock instead of real waits.
#pragma once

#include <chrono>

namespace sluice {

using SystemTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime Now() = 0;
  virtual void SleepFor(std::chrono::milliseconds duration) = 0;
};

// The process-wide real clock.
Clock& RealClock();

}  // namespace sluice
