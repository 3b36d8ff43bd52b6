#include "lib/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace sluice {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signals{0};
std::mutex g_mutex;
std::condition_variable g_cv;

// Only async-signal-safe work here: set flags. A watcher thread turns the flag into a
// notification, because notifying a condition variable from a handler is not safe.
void OnSignal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(130);  // second Ctrl-C: the user means it
  g_interrupted.store(true);
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
    g_signals.store(interrupted ? 1 : 0);
  }
  g_cv.notify_all();
}

}  // namespace sluice
