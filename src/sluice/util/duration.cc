#include "sluice/util/duration.h"

#include <cctype>
#include <limits>

namespace sluice {

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto invalid = [&] {
    return Error::InvalidArgument("invalid duration \"" + std::string(text) +
                                  "\": use a number with a unit, like 30s, 5m, 1h30m or 250ms");
  };
  if (text.empty()) return invalid();
  int64_t total_ms = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return invalid();
    double value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      value = value * 10 + (text[i] - '0');
      if (value > 1e12) return invalid();
      ++i;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      double scale = 0.1;
      if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return invalid();
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        value += (text[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double ms_per_unit;
    if (unit == "ms") {
      ms_per_unit = 1;
    } else if (unit == "s" || (unit.empty() && !any && i == text.size())) {
      ms_per_unit = 1000;
    } else if (unit == "m") {
      ms_per_unit = 60'000;
    } else if (unit == "h") {
      ms_per_unit = 3'600'000;
    } else if (unit == "d") {
      ms_per_unit = 86'400'000;
    } else {
      return invalid();
    }
    double ms = value * ms_per_unit;
    if (ms > static_cast<double>(std::numeric_limits<int64_t>::max() / 4) - total_ms) {
      return invalid();
    }
    total_ms += static_cast<int64_t>(ms);
    any = true;
  }
  return std::chrono::milliseconds(total_ms);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  int64_t ms = duration.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  if (ms < 1000) return out + std::to_string(ms) + "ms";
  int64_t s = ms / 1000;
  int64_t rest_ms = ms % 1000;
  int64_t h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (sec || rest_ms) {
    out += std::to_string(sec);
    if (rest_ms) {
      std::string frac = std::to_string(rest_ms + 1000).substr(1);
      while (frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    out += "s";
  }
  return out;
}

}  // namespace sluice
