#include "sluice/net/retry_policy.h"

#include <gtest/gtest.h>

#include "sluice/util/time_format.h"

namespace sluice {
namespace {

Error ServiceError(int status, std::string code) {
  Error e;
  e.kind = ErrorKind::kService;
  e.http_status = status;
  e.code = std::move(code);
  return e;
}

TEST(RetryPolicyTest, ClassifiesFailuresLikeTheSdksStandardMode) {
  EXPECT_EQ(ClassifyFailure(ServiceError(503, "SlowDown")), FailureClass::kThrottling);
  EXPECT_EQ(ClassifyFailure(ServiceError(400, "ThrottlingException")), FailureClass::kThrottling);
  EXPECT_EQ(ClassifyFailure(ServiceError(400, "Throttling")), FailureClass::kThrottling);
  EXPECT_EQ(ClassifyFailure(ServiceError(429, "")), FailureClass::kThrottling);
  EXPECT_EQ(ClassifyFailure(ServiceError(500, "InternalError")), FailureClass::kTransient);
  EXPECT_EQ(ClassifyFailure(ServiceError(502, "")), FailureClass::kTransient);
  EXPECT_EQ(ClassifyFailure(ServiceError(504, "")), FailureClass::kTransient);
  EXPECT_EQ(ClassifyFailure(ServiceError(400, "RequestTimeout")), FailureClass::kTransient);
  EXPECT_EQ(ClassifyFailure(ServiceError(403, "RequestTimeTooSkewed")), FailureClass::kClockSkew);
  EXPECT_EQ(ClassifyFailure(Error::Network("reset")), FailureClass::kTransient);
  EXPECT_EQ(ClassifyFailure(Error::Timeout("idle")), FailureClass::kTransient);
  EXPECT_EQ(ClassifyFailure(ServiceError(400, "ValidationException")), FailureClass::kNotRetryable);
  EXPECT_EQ(ClassifyFailure(ServiceError(403, "AccessDenied")), FailureClass::kNotRetryable);
  EXPECT_EQ(ClassifyFailure(ServiceError(404, "NoSuchBucket")), FailureClass::kNotRetryable);
  EXPECT_EQ(ClassifyFailure(Error::Credentials("none")), FailureClass::kNotRetryable);
}

TEST(RetryPolicyTest, GivesUpAfterMaxAttempts) {
  RetryPolicy policy(RetryOptions{.max_attempts = 3}, [] { return 0.5; });
  Error e = ServiceError(503, "ServiceUnavailable");
  EXPECT_TRUE(policy.ShouldRetry(1, e).has_value());
  EXPECT_TRUE(policy.ShouldRetry(2, e).has_value());
  EXPECT_FALSE(policy.ShouldRetry(3, e).has_value());
}

TEST(RetryPolicyTest, NonRetryableErrorsAreNotRetried) {
  RetryPolicy policy(RetryOptions{.max_attempts = 5});
  EXPECT_FALSE(policy.ShouldRetry(1, ServiceError(400, "ValidationException")).has_value());
  EXPECT_EQ(policy.available_quota(), 500);  // and cost nothing
}

TEST(RetryPolicyTest, BackoffIsExponentialWithFullJitterAndCapped) {
  double r = 1.0 - 1e-9;  // the top of the jitter range shows the ceiling
  RetryPolicy policy(
      RetryOptions{.max_attempts = 10, .base_delay = std::chrono::milliseconds(100),
                   .max_backoff = std::chrono::milliseconds(1000)},
      [&] { return r; });
  EXPECT_NEAR(policy.Backoff(1).count(), 100, 1);
  EXPECT_NEAR(policy.Backoff(2).count(), 200, 1);
  EXPECT_NEAR(policy.Backoff(3).count(), 400, 1);
  EXPECT_NEAR(policy.Backoff(4).count(), 800, 1);
  EXPECT_NEAR(policy.Backoff(5).count(), 1000, 1);   // capped
  EXPECT_NEAR(policy.Backoff(50).count(), 1000, 1);  // no overflow
  r = 0.0;
  EXPECT_EQ(policy.Backoff(3).count(), 0);  // full jitter reaches zero
}

TEST(RetryPolicyTest, RetryQuotaStopsRetriesWhenExhaustedAndRefillsOnSuccess) {
  RetryPolicy policy(RetryOptions{.max_attempts = 3, .quota_capacity = 12, .retry_cost = 5,
                                  .timeout_retry_cost = 10, .success_refund = 1},
                     [] { return 0.0; });
  Error e = ServiceError(500, "InternalError");
  EXPECT_TRUE(policy.ShouldRetry(1, e));
  EXPECT_TRUE(policy.ShouldRetry(1, e));
  EXPECT_EQ(policy.available_quota(), 2);
  EXPECT_FALSE(policy.ShouldRetry(1, e));  // not enough tokens left
  policy.RecordSuccess(/*was_retried=*/true);
  EXPECT_EQ(policy.available_quota(), 7);
  EXPECT_FALSE(policy.ShouldRetry(1, Error::Timeout("t")));  // timeouts cost 10
  EXPECT_TRUE(policy.ShouldRetry(1, e));
  policy.RecordSuccess(false);
  EXPECT_EQ(policy.available_quota(), 3);
}

TEST(RetryPolicyTest, RetryAfterRaisesTheDelayUpToALimit) {
  RetryPolicy policy(RetryOptions{.max_attempts = 3, .max_retry_after = std::chrono::seconds(30)},
                     [] { return 0.0; });
  Error e = ServiceError(503, "SlowDown");
  EXPECT_EQ(policy.ShouldRetry(1, e, std::chrono::milliseconds(7000))->count(), 7000);
  EXPECT_EQ(policy.ShouldRetry(1, e, std::chrono::hours(1))->count(), 30000);
}

TEST(RetryPolicyTest, ParsesRetryAfterSecondsAndDates) {
  auto now = *ParseIso8601("2024-01-01T00:00:00Z");
  EXPECT_EQ(ParseRetryAfter({{"Retry-After", "3"}}, now)->count(), 3000);
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "Mon, 01 Jan 2024 00:00:10 GMT"}}, now)->count(),
            10000);
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "Sun, 31 Dec 2023 00:00:10 GMT"}}, now)->count(), 0);
  EXPECT_FALSE(ParseRetryAfter({{"retry-after", "soon"}}, now).has_value());
  EXPECT_FALSE(ParseRetryAfter({}, now).has_value());
}

}  // namespace
}  // namespace sluice
