// Lines from a file descriptor (sluice-trigger's stdin), read with a wait limit so that the
// reader can also keep timers (debounce) and notice signals while no input arrives.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace sluice {

class LineSource {
 public:
  enum class Status { kLine, kIdle, kEnd };
  virtual ~LineSource() = default;
  // Waits up to `wait` for the next line (without its newline). kIdle: none came in time; kEnd:
  // end of input (a last line without a newline is still a line). A line longer than the
  // source's limit is returned cut to limit + 1 bytes, the rest discarded, so the caller can
  // report it instead of buffering without bound.
  virtual Status Next(std::string& line, std::chrono::milliseconds wait) = 0;
};

std::unique_ptr<LineSource> MakeFdLineSource(int fd, size_t max_line);
// For tests: these lines, then end of input.
std::unique_ptr<LineSource> MakeVectorLineSource(std::vector<std::string> lines);

}  // namespace sluice
