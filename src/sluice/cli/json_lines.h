// JSON Lines on stdout: one compact object per line, flushed at once so a pipeline's next tool
// sees each event as it happens. Thread-safe: lines never interleave.
#pragma once

#include <nlohmann/json.hpp>

namespace sluice {

// Returns false when stdout is closed (the reader went away): the caller should stop.
bool WriteJsonLine(const nlohmann::json& value);

}  // namespace sluice
