#include "sluice/util/time_format.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace sluice {
namespace {

std::tm ToUtc(SystemTime time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

std::optional<SystemTime> FromUtcFields(int year, int month, int day, int hour, int minute,
                                        int second) {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

std::string FormatIso8601(SystemTime time) {
  std::tm tm = ToUtc(time);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<SystemTime> ParseIso8601(std::string_view text) {
  std::string s(text);
  int year, month, day, hour, minute, second, consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6) {
    return std::nullopt;
  }
  auto base = FromUtcFields(year, month, day, hour, minute, second);
  if (!base) return std::nullopt;
  std::string_view rest = std::string_view(s).substr(consumed);
  std::chrono::microseconds fraction{0};
  if (!rest.empty() && rest[0] == '.') {
    size_t i = 1;
    double scale = 0.1, f = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
      f += (rest[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    fraction = std::chrono::microseconds(static_cast<int64_t>(std::llround(f * 1e6)));
    rest = rest.substr(i);
  }
  std::chrono::seconds offset{0};
  if (rest == "Z" || rest == "z" || rest.empty()) {
  } else if ((rest[0] == '+' || rest[0] == '-') && rest.size() == 6 && rest[3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &oh, &om) != 2) {
      return std::nullopt;
    }
    offset = std::chrono::seconds((oh * 3600 + om * 60) * (rest[0] == '+' ? 1 : -1));
  } else {
    return std::nullopt;
  }
  return *base + fraction - offset;
}

std::string FormatHttpDate(SystemTime time) {
  std::tm tm = ToUtc(time);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::optional<SystemTime> ParseHttpDate(std::string_view text) {
  std::string s(text);
  char weekday[4] = {}, month_name[4] = {};
  int day, year, hour, minute, second;
  if (std::sscanf(s.c_str(), "%3s, %d %3s %d %d:%d:%d", weekday, &day, month_name, &year, &hour,
                  &minute, &second) != 7) {
    return std::nullopt;
  }
  for (int m = 0; m < 12; ++m) {
    if (std::strcmp(month_name, kMonths[m]) == 0) {
      return FromUtcFields(year, m + 1, day, hour, minute, second);
    }
  }
  return std::nullopt;
}

SystemTime FromEpochSeconds(double seconds) {
  return SystemTime(std::chrono::duration_cast<SystemTime::duration>(
      std::chrono::duration<double>(seconds)));
}

double ToEpochSeconds(SystemTime time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

}  // namespace sluice
