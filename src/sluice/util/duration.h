// Durations as people type them: "30s", "5m", "1h30m", "250ms", "2d"; a bare number is seconds.
// Pure.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "sluice/util/result.h"

namespace sluice {

Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// The shortest readable form: "1h30m", "45s", "250ms", "0s".
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace sluice
