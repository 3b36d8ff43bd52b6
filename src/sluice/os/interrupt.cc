#include "sluice/os/interrupt.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace sluice {
namespace {

std::atomic<bool> g_interrupted{false};
// When the first signal came (CLOCK_MONOTONIC, ns); 0 before any.
std::atomic<int64_t> g_first_signal_ns{0};
// A second signal closer than this to the first is the same stop delivered twice: a SIGTERM to a
// whole process group that a script then passes on (examples/lib/wait-job.sh), or a Ctrl-C that
// reaches both a script and its tools. Only a later one means "now".
constexpr int64_t kSameStopNs = 500'000'000;

int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::mutex g_mutex;
std::condition_variable g_cv;

// Only async-signal-safe work here: set flags. A watcher thread turns the flag into a
// notification, because notifying a condition variable from a handler is not safe.
void OnSignal(int) {
  int64_t now = MonotonicNs();
  int64_t first = 0;
  if (g_first_signal_ns.compare_exchange_strong(first, now)) {
    g_interrupted.store(true);
    return;
  }
  if (now - first >= kSameStopNs) _exit(130);  // a second Ctrl-C: the user means it
}

}  // namespace

void InstallInterruptHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    // Wake sleepers promptly after a signal.
    std::thread([] {
      while (!g_interrupted.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::lock_guard lock(g_mutex);
      g_cv.notify_all();
    }).detach();
  });
}

bool Interrupted() { return g_interrupted.load(); }

bool SleepUnlessInterrupted(std::chrono::milliseconds duration) {
  std::unique_lock lock(g_mutex);
  return !g_cv.wait_for(lock, duration, [] { return g_interrupted.load(); });
}

void SetInterruptedForTesting(bool interrupted) {
  {
    std::lock_guard lock(g_mutex);
    g_interrupted.store(interrupted);
    g_first_signal_ns.store(interrupted ? MonotonicNs() : 0);
  }
  g_cv.notify_all();
}

}  // namespace sluice
