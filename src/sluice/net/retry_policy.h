// The AWS SDKs' "standard" retry mode, as pure logic: which failures are worth another attempt,
// how long to wait (exponential backoff with full jitter, capped), and a retry quota (a token
// bucket) that stops a client from piling retries onto a service that is already failing.
// Thread-safe: one policy is shared by every call of a client.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "sluice/net/http.h"
#include "sluice/util/error.h"

namespace sluice {

struct RetryOptions {
  int max_attempts = 3;  // AWS_MAX_ATTEMPTS / profile max_attempts; 1 disables retries
  std::chrono::milliseconds base_delay{1000};
  std::chrono::milliseconds max_backoff{20000};
  // Retry-After asks for a wait longer than the cap sometimes; honour it up to this.
  std::chrono::milliseconds max_retry_after{60000};
  int quota_capacity = 500;  // the SDKs' initial retry tokens
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  int success_refund = 1;
};

enum class FailureClass {
  kNotRetryable,
  kTransient,  // 5xx, connection errors, RequestTimeout, InternalError
  kThrottling,
  kClockSkew,  // RequestTimeTooSkewed and friends: retry once after correcting the clock
};

// Classifies an error (service errors by code and status; network and timeout errors).
FailureClass ClassifyFailure(const Error& error);
bool IsThrottlingCode(std::string_view code);
bool IsClockSkewCode(std::string_view code);

class RetryPolicy {
 public:
  // `random01` returns a uniform number in [0, 1); injectable so tests are deterministic.
  explicit RetryPolicy(RetryOptions options, std::function<double()> random01 = nullptr);

  const RetryOptions& options() const { return options_; }

  // Decides whether attempt number `attempt` (1-based) that failed with `error` is retried.
  // Returns the delay before the next attempt, or nullopt to give up. Takes quota tokens;
  // `retry_after` is the server's Retry-After, when it sent one.
  std::optional<std::chrono::milliseconds> ShouldRetry(
      int attempt, const Error& error,
      std::optional<std::chrono::milliseconds> retry_after = std::nullopt);

  // Records a successful call: refunds the tokens a retry took, or a small amount otherwise.
  void RecordSuccess(bool was_retried);

  int available_quota() const;

  // The delay before attempt `attempt`+1: random(0,1) * min(base * 2^(attempt-1), max_backoff).
  std::chrono::milliseconds Backoff(int attempt);

 private:
  RetryOptions options_;
  std::function<double()> random01_;
  mutable std::mutex mutex_;
  int quota_;
};

// Reads Retry-After (seconds or an HTTP date relative to `now`) from a response's headers.
std::optional<std::chrono::milliseconds> ParseRetryAfter(const HttpHeaders& headers,
                                                         std::chrono::system_clock::time_point now);

}  // namespace sluice
