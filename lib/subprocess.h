// Running a program to completion and capturing what it prints: credential_process now, and the
// local actions of later tools. No shell is involved unless argv names one: arguments reach the
// program exactly as given.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "lib/result.h"

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

// Starts argv[0] (looked up on PATH) with stdin from /dev/null. An Error means it could not be
// started or timed out; a program that ran and failed is a CapturedRun with its exit code.
Result<CapturedRun> RunAndCapture(const std::vector<std::string>& argv,
                                  const CaptureOptions& options = {});

}  // namespace sluice
