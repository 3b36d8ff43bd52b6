#include "sluice/aws/client_context.h"

#include <charconv>

#include "sluice/aws/config/region.h"
#include "sluice/aws/credentials/credentials_chain.h"

namespace sluice {

Result<RetryOptions> ResolveRetryOptions(const Environment& env, const Profile* profile) {
  RetryOptions options;
  std::string value, from;
  if (auto v = env.GetNonEmpty("AWS_MAX_ATTEMPTS")) {
    value = *v, from = "AWS_MAX_ATTEMPTS";
  } else if (profile != nullptr && profile->Get("max_attempts") != nullptr) {
    value = *profile->Get("max_attempts"), from = "max_attempts in profile " + profile->name;
  }
  if (!value.empty()) {
    int n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || n < 1 || n > 100) {
      return Error::Config(from + " must be a whole number from 1 to 100, not \"" + value + "\"");
    }
    options.max_attempts = n;
  }
  return options;
}

Result<std::shared_ptr<const ClientContext>> MakeClientContext(const ClientOptions& options,
                                                               StsClientMaker make_sts) {
  auto context = std::make_shared<ClientContext>();
  context->env = options.env != nullptr ? options.env : &ProcessEnvironment();
  context->clock = options.clock != nullptr ? options.clock : &RealClock();
  const Environment& env = *context->env;

  auto config = SharedConfig::Load(env);
  if (!config.ok()) return config.error();
  context->config = std::move(config).value();
  context->profile_name = SelectedProfileName(env, options.profile);
  const Profile* profile = context->profile();
  bool profile_named = !options.profile.empty() || env.GetNonEmpty("AWS_PROFILE").has_value();
  if (profile_named && profile == nullptr && !options.credentials) {
    return Error::Config("profile \"" + context->profile_name +
                         "\" not found in the AWS config or credentials file: check --profile / "
                         "AWS_PROFILE, or run `aws configure --profile " +
                         context->profile_name + "`");
  }

  auto region = ResolveRegion(options.region, env, profile);
  if (!region.ok()) return region.error();
  context->region = std::move(region).value();
  context->endpoint_flag = options.endpoint_url;

  if (options.http) {
    context->http = options.http;
  } else {
    HttpClientOptions http_options;
    if (auto ca = env.GetNonEmpty("AWS_CA_BUNDLE")) {
      http_options.ca_bundle = *ca;
    } else if (profile != nullptr && profile->Get("ca_bundle") != nullptr) {
      http_options.ca_bundle = *profile->Get("ca_bundle");
    }
    http_options.abort_when = options.abort_when;
    context->http = MakeCurlHttpClient(http_options);
  }

  if (options.retry) {
    context->retry = options.retry;
  } else {
    auto retry = ResolveRetryOptions(env, profile);
    if (!retry.ok()) return retry.error();
    context->retry = std::make_shared<RetryPolicy>(*retry);
  }
  context->signer = std::make_shared<SigV4Signer>();
  context->clock_skew_ms = std::make_shared<std::atomic<int64_t>>(0);

  if (options.credentials) {
    context->credentials = options.credentials;
  } else {
    // Role sources call STS with a context like this one, signed by their source credentials.
    std::weak_ptr<ClientContext> weak = context;
    CredentialsContext chain;
    chain.env = context->env;
    chain.config = &context->config;
    chain.profile = context->profile_name;
    chain.region = context->region;
    // The metadata endpoints answer in milliseconds or not at all (no IMDS on a laptop): a short
    // timeout keeps a machine without credentials from waiting seconds to be told so.
    if (options.http) {
      chain.http = options.http;
    } else {
      HttpClientOptions metadata_options;
      metadata_options.connect_timeout = std::chrono::seconds(1);
      metadata_options.total_timeout = std::chrono::seconds(5);
      metadata_options.max_idle_connections = 2;
      if (auto ca = env.GetNonEmpty("AWS_CA_BUNDLE")) metadata_options.ca_bundle = *ca;
      chain.http = MakeCurlHttpClient(metadata_options);
    }
    chain.clock = context->clock;
    chain.make_sts = [weak, make_sts = std::move(make_sts)](
                         std::shared_ptr<CredentialsProvider> source,
                         const std::string& region) -> std::unique_ptr<StsApi> {
      auto parent = weak.lock();
      if (!parent || !make_sts) return nullptr;
      auto sts_context = std::make_shared<ClientContext>(*parent);
      sts_context->region = region;
      sts_context->credentials =
          source ? source : StaticCredentials(Credentials{});  // unsigned calls ignore it
      return make_sts(std::move(sts_context));
    };
    context->credentials = CachingCredentials(MakeDefaultCredentialsChain(chain), context->clock);
  }
  return std::shared_ptr<const ClientContext>(std::move(context));
}

std::shared_ptr<const ClientContext> WithRegion(const std::shared_ptr<const ClientContext>& context,
                                                std::string region) {
  auto copy = std::make_shared<ClientContext>(*context);
  copy->region = std::move(region);
  return copy;
}

}  // namespace sluice
