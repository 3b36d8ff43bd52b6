// Captures what is written to stderr (fd 2) while alive, for tests of what the tools tell people:
// log lines, the --verbose trace, warnings.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace sluice::testing {

class StderrCapture {
 public:
  StderrCapture() { ::testing::internal::CaptureStderr(); }
  // What was written since construction; call once.
  std::string Take() { return ::testing::internal::GetCapturedStderr(); }
};

}  // namespace sluice::testing
