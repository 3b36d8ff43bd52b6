// SIGINT/SIGTERM handling for tools that run until stopped: the first signal sets a flag that
// loops check (and wakes sleepers); the tool then finishes cleanly (state saved, tasks stopped)
// and exits 130. A second signal exits at once.
#pragma once

#include <chrono>

namespace sluice {

// Installs the handlers (once per process).
void InstallInterruptHandlers();
bool Interrupted();
// Sleeps for `duration` or until a signal arrives; returns false when interrupted.
bool SleepUnlessInterrupted(std::chrono::milliseconds duration);
// For tests: sets or clears the flag as if a signal had arrived.
void SetInterruptedForTesting(bool interrupted);

}  // namespace sluice
