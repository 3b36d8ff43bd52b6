// ClientContext: what every service client of one tool run shares — region, profile, the
// credential chain, one HTTP client (so connections are reused across services), one retry
// policy (so the retry quota is shared), the signer and the clock-skew correction.
// MakeClientContext resolves all of it from flags, the environment and the shared config files
// the way the AWS CLI does. Role credentials need an STS client, which is a service client one
// layer up: the caller passes a maker for it, and sluice/services/default_client_context.h passes
// StsClient's. Thread-safe once built.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "sluice/aws/config/shared_config.h"
#include "sluice/aws/credentials/credentials.h"
#include "sluice/aws/credentials/sts_api.h"
#include "sluice/aws/sigv4.h"
#include "sluice/net/http.h"
#include "sluice/net/retry_policy.h"
#include "sluice/util/clock.h"
#include "sluice/util/environment.h"
#include "sluice/util/result.h"

namespace sluice {

// The common flags of every tool (--region, --endpoint-url, --profile) and injectable parts.
struct ClientOptions {
  std::string region;
  std::string endpoint_url;
  std::string profile;
  const Environment* env = nullptr;                   // default: the process environment
  Clock* clock = nullptr;                             // default: the real clock
  std::shared_ptr<HttpClient> http;                   // default: libcurl with AWS_CA_BUNDLE
  std::shared_ptr<CredentialsProvider> credentials;   // default: the SDK chain
  std::shared_ptr<RetryPolicy> retry;                 // default: standard mode, AWS_MAX_ATTEMPTS
  std::function<bool()> abort_when;  // for the default http client: see HttpClientOptions
};

struct ClientContext {
  const Environment* env = nullptr;
  Clock* clock = nullptr;
  SharedConfig config;
  std::string profile_name;
  std::string region;
  std::string endpoint_flag;
  std::shared_ptr<HttpClient> http;
  std::shared_ptr<CredentialsProvider> credentials;
  std::shared_ptr<RetryPolicy> retry;
  std::shared_ptr<SigV4Signer> signer;
  // Server time minus local time, learnt from a clock-skew error's Date header; added to the
  // signing time from then on (so a machine with a wrong clock still works).
  std::shared_ptr<std::atomic<int64_t>> clock_skew_ms;

  const Profile* profile() const { return config.FindProfile(profile_name); }
  // The [services NAME] section the profile names with "services = NAME", or null.
  const Profile* services() const {
    const Profile* p = profile();
    const std::string* name = p != nullptr ? p->Get("services") : nullptr;
    return name != nullptr ? config.FindServices(*name) : nullptr;
  }
  SystemTime SigningTime() const {
    return clock->Now() + std::chrono::milliseconds(clock_skew_ms->load());
  }
};

// Makes the STS client that role credentials (role_arn, web identity) call, over a copy of the
// tool's context with the STS call's region and source credentials; null when it cannot.
using StsClientMaker =
    std::function<std::unique_ptr<StsApi>(std::shared_ptr<const ClientContext> sts_context)>;

// With a null `make_sts`, role credentials fail with an error saying no STS client is available
// (tests of this layer, and callers that pass their own credentials, need none).
Result<std::shared_ptr<const ClientContext>> MakeClientContext(const ClientOptions& options,
                                                               StsClientMaker make_sts);

// The same context for another region, sharing everything else (credentials, HTTP connections,
// retry quota, clock skew): ECR's registry host names its region, which may not be the tool's.
std::shared_ptr<const ClientContext> WithRegion(const std::shared_ptr<const ClientContext>& context,
                                                std::string region);

// The retry settings from AWS_MAX_ATTEMPTS, then the profile's max_attempts; AWS_RETRY_MODE /
// retry_mode may be "standard" (the default) or "legacy"/"adaptive" (treated as standard).
Result<RetryOptions> ResolveRetryOptions(const Environment& env, const Profile* profile);

}  // namespace sluice
