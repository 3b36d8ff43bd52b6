// SIGINT/SIGTERM handling for tools that run until stopped: the first signal sets a flag that
// loops check (and wakes sleepers); the tool then finishes cleanly (state saved, tasks stopped)
// and exits 130. A second signal exits at once, unless it comes within half a second of the
// first: then it is the same stop delivered twice (to a process group, and passed on by a script).
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
