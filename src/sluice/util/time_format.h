// Parsing and formatting the timestamps AWS uses. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sluice/util/clock.h"

namespace sluice {

// "2015-08-30T12:36:00Z" (what JSON APIs and credential files return; fractional seconds and
// "+00:00" offsets are accepted when parsing).
std::string FormatIso8601(SystemTime time);
std::optional<SystemTime> ParseIso8601(std::string_view text);

// RFC 7231 HTTP date: "Sun, 30 Aug 2015 12:36:00 GMT" (Date and Last-Modified headers).
std::string FormatHttpDate(SystemTime time);
std::optional<SystemTime> ParseHttpDate(std::string_view text);

// Seconds since the epoch, as a double (ECS and Logs JSON timestamps).
SystemTime FromEpochSeconds(double seconds);
double ToEpochSeconds(SystemTime time);

}  // namespace sluice
