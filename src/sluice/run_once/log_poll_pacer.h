// How often sluice-run-once reads a task's CloudWatch logs (pure). GetLogEvents has a small,
// hard per-account quota (a few calls a second, shared by every client in the account and
// region), so a fixed one-call-a-second poll per followed task exhausts it as soon as a few CI
// jobs follow tasks at once. The pacer polls fast while lines arrive, doubles the interval
// while the stream is idle (up to idle_max), and doubles it again on throttling (up to
// throttled_max); the first lines after a pause bring it back to `fastest`. The caller reads
// once more, at once, when the task has stopped.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace sluice {

class LogPollPacer {
 public:
  struct Options {
    std::chrono::milliseconds fastest{1000};
    std::chrono::milliseconds idle_max{8000};
    std::chrono::milliseconds throttled_max{30000};
  };

  explicit LogPollPacer(Options options) : options_(options), interval_(options.fastest) {}

  std::chrono::milliseconds interval() const { return interval_; }

  // A poll read `lines` lines.
  void Read(size_t lines) {
    if (lines > 0) {
      interval_ = options_.fastest;
    } else {
      interval_ = std::min(options_.idle_max, std::max(options_.fastest, interval_ * 2));
    }
  }

  // A poll was throttled (after the client's own retries).
  void Throttled() {
    auto ceiling = std::max(options_.throttled_max, options_.fastest);
    interval_ = std::min(ceiling, std::max(options_.fastest * 2, interval_ * 2));
  }

 private:
  Options options_;
  std::chrono::milliseconds interval_;
};

}  // namespace sluice
