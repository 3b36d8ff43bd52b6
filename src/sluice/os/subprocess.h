// Running a program to completion and capturing what it prints: credential_process now, and the
// local actions of later tools. No shell is involved unless argv names one: arguments reach the
// program exactly as given.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/util/result.h"

namespace sluice {

struct CapturedRun {
  int exit_code = 0;    // the exit status, or 128 + signal number when a signal ended it
  bool signaled = false;
  std::string out;      // stdout
  std::string err;      // stderr
};

struct CaptureOptions {
  std::chrono::milliseconds timeout{0};  // 0: none; else the program is killed (SIGKILL) and
                                         // the result is an Error of kind kTimeout
  size_t max_output = 1 << 20;           // each stream is cut beyond this many bytes
};

// The last non-empty line of a program's message, cut at 300 characters: where tools put their
// reason, and enough to act on without quoting a confused program's output at length.
std::string LastOutputLine(std::string text);

// Starts argv[0] (looked up on PATH) with stdin from /dev/null. An Error means it could not be
// started or timed out; a program that ran and failed is a CapturedRun with its exit code.
Result<CapturedRun> RunAndCapture(const std::vector<std::string>& argv,
                                  const CaptureOptions& options = {});

struct SpawnOptions {
  // Set in the child's environment on top of this process's own (replacing same-named ones).
  std::vector<std::pair<std::string, std::string>> env;
  // The child's stdout goes to this process's stderr: a tool whose stdout is JSON Lines keeps
  // it clean whatever the program prints.
  bool stdout_to_stderr = false;
  // The child leads a process group of its own, so a terminal's Ctrl-C reaches only this
  // process, which decides when to stop the child (and everything the child started).
  bool own_process_group = false;
};

// A running program, started with stdin from /dev/null and otherwise this process's streams.
// Destroying a Process that still runs kills it (SIGKILL) and reaps it: no zombies, no orphans.
class Process {
 public:
  static Result<Process> Spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  Process(const Process&) = delete;
  ~Process();

  // Waits up to `timeout` for the program to end (a negative timeout waits for ever). Returns
  // its exit status (128 + signal number when a signal ended it), or nullopt if it still runs.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // Sends `signal` to the program (to its whole group when it leads one). No-op once it ended.
  void Signal(int signal);
  pid_t pid() const { return pid_; }

 private:
  Process(pid_t pid, int pidfd, bool group) : pid_(pid), pidfd_(pidfd), group_(group) {}
  pid_t pid_ = -1;
  int pidfd_ = -1;  // readable when the program ends; -1 where the kernel lacks pidfd_open
  bool group_ = false;
  std::optional<int> status_;
};

struct CompletionOptions {
  std::chrono::milliseconds timeout{0};        // 0: none
  std::chrono::milliseconds kill_grace{5000};  // after SIGTERM, SIGKILL follows this late
  std::function<bool()> should_stop;           // asked every 100 ms; true ends the program
};

struct Completion {
  int exit_code = 0;  // as Process::Wait reports it
  bool timed_out = false;
  bool stopped = false;  // should_stop asked for it
};

// Waits until `process` ends, or ends it (SIGTERM to it or its group, then SIGKILL after the
// grace) when the timeout passes or should_stop says so.
Completion WaitOrTerminate(Process& process, const CompletionOptions& options);

}  // namespace sluice
