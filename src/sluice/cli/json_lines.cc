#include "sluice/cli/json_lines.h"

#include <cstdio>
#include <mutex>

namespace sluice {

bool WriteJsonLine(const nlohmann::json& value) {
  static std::mutex mutex;
  // Invalid UTF-8 in keys from S3 or a task must not abort the tool: replace it.
  std::string line = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  std::lock_guard lock(mutex);
  if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) return false;
  return std::fflush(stdout) == 0;
}

}  // namespace sluice
