#include "sluice/net/retry_policy.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <string_view>

#include "sluice/util/time_format.h"

namespace sluice {
namespace {

// From the SDKs' standard retry mode (botocore/retries/standard.py and the AWS SDK reference).
constexpr std::array<std::string_view, 16> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "TOOMANYREQUESTS",  // OCI registries (docker distribution's error code)
    "ThrottledError",
};

constexpr std::array<std::string_view, 5> kTransientCodes = {
    "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
    "ServiceUnavailable",
};

constexpr std::array<std::string_view, 6> kClockSkewCodes = {
    "RequestTimeTooSkewed", "RequestExpired",    "InvalidSignatureException",
    "SignatureDoesNotMatch", "AuthFailure",      "RequestInTheFuture",
};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view code) {
  return std::find(list.begin(), list.end(), code) != list.end();
}

}  // namespace

bool IsThrottlingCode(std::string_view code) { return Contains(kThrottlingCodes, code); }
bool IsClockSkewCode(std::string_view code) { return Contains(kClockSkewCodes, code); }

FailureClass ClassifyFailure(const Error& error) {
  switch (error.kind) {
    case ErrorKind::kNetwork:
    case ErrorKind::kTimeout:
      return FailureClass::kTransient;
    case ErrorKind::kService:
      break;
    default:
      return error.retryable ? FailureClass::kTransient : FailureClass::kNotRetryable;
  }
  if (IsThrottlingCode(error.code) || error.http_status == 429) return FailureClass::kThrottling;
  if (Contains(kTransientCodes, error.code)) return FailureClass::kTransient;
  if (error.http_status == 500 || error.http_status == 502 || error.http_status == 503 ||
      error.http_status == 504) {
    return FailureClass::kTransient;
  }
  if (IsClockSkewCode(error.code)) return FailureClass::kClockSkew;
  return error.retryable ? FailureClass::kTransient : FailureClass::kNotRetryable;
}

RetryPolicy::RetryPolicy(RetryOptions options, std::function<double()> random01)
    : options_(options), random01_(std::move(random01)), quota_(options.quota_capacity) {
  if (!random01_) {
    random01_ = [] {
      thread_local std::mt19937_64 engine{std::random_device{}()};
      return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
  }
  options_.max_attempts = std::max(1, options_.max_attempts);
}

std::chrono::milliseconds RetryPolicy::Backoff(int attempt) {
  double ceiling = static_cast<double>(options_.base_delay.count()) *
                   std::pow(2.0, std::min(attempt - 1, 30));
  ceiling = std::min(ceiling, static_cast<double>(options_.max_backoff.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(random01_() * ceiling));
}

std::optional<std::chrono::milliseconds> RetryPolicy::ShouldRetry(
    int attempt, const Error& error, std::optional<std::chrono::milliseconds> retry_after) {
  if (attempt >= options_.max_attempts) return std::nullopt;
  FailureClass failure = ClassifyFailure(error);
  if (failure == FailureClass::kNotRetryable) return std::nullopt;
  {
    std::lock_guard lock(mutex_);
    int cost = error.kind == ErrorKind::kTimeout ? options_.timeout_retry_cost : options_.retry_cost;
    if (quota_ < cost) return std::nullopt;  // the service is failing a lot: stop adding load
    quota_ -= cost;
  }
  // A corrected clock needs no wait; everything else backs off.
  if (failure == FailureClass::kClockSkew) return std::chrono::milliseconds(0);
  std::chrono::milliseconds delay = Backoff(attempt);
  if (retry_after) delay = std::max(delay, std::min(*retry_after, options_.max_retry_after));
  return delay;
}

void RetryPolicy::RecordSuccess(bool was_retried) {
  std::lock_guard lock(mutex_);
  quota_ = std::min(options_.quota_capacity,
                    quota_ + (was_retried ? options_.retry_cost : options_.success_refund));
}

int RetryPolicy::available_quota() const {
  std::lock_guard lock(mutex_);
  return quota_;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(const HttpHeaders& headers,
                                                         std::chrono::system_clock::time_point now) {
  const std::string* value = FindHeader(headers, "retry-after");
  if (value == nullptr || value->empty()) return std::nullopt;
  if (std::all_of(value->begin(), value->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value->size() > 9) return std::nullopt;
    return std::chrono::seconds(std::stol(*value));
  }
  if (auto when = ParseHttpDate(*value)) {
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(*when - now);
    return std::max(d, std::chrono::milliseconds(0));
  }
  return std::nullopt;
}

}  // namespace sluice
