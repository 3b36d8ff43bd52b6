#include "sluice/aws/credentials/credentials_chain.h"

#include <atomic>
#include <mutex>
#include <vector>

#include "sluice/aws/credentials/credential_sources.h"
#include "sluice/util/logging.h"

namespace sluice {
namespace {

class ChainProvider : public CredentialsProvider {
 public:
  explicit ChainProvider(std::vector<std::shared_ptr<CredentialsProvider>> sources)
      : sources_(std::move(sources)) {}

  Result<Credentials> Resolve() override {
    // Once a source has answered, it is the one asked again (for a refresh), as the SDKs do:
    // the identity of a long-running process does not silently change.
    if (int chosen = chosen_.load(); chosen >= 0) return sources_[chosen]->Resolve();
    std::string tried;
    for (size_t i = 0; i < sources_.size(); ++i) {
      auto credentials = sources_[i]->Resolve();
      if (credentials.ok()) {
        chosen_.store(static_cast<int>(i));
        TraceLine("credentials: using " + credentials->source);
        return credentials;
      }
      if (!IsNotConfigured(credentials.error())) return credentials.error();
      if (!tried.empty()) tried += "; ";
      tried += sources_[i]->Name() + ": " +
               credentials.error().message.substr(kNotConfiguredPrefix.size());
    }
    return Error::Credentials(
        "no AWS credentials found (tried " + tried +
        "). Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pick a profile with --profile or "
        "AWS_PROFILE, or run `aws configure`");
  }
  std::string Name() const override { return "default chain"; }

 private:
  std::vector<std::shared_ptr<CredentialsProvider>> sources_;
  std::atomic<int> chosen_{-1};
};

class CachingProvider : public CredentialsProvider {
 public:
  CachingProvider(std::shared_ptr<CredentialsProvider> inner, Clock* clock,
                  std::chrono::seconds refresh_before)
      : inner_(std::move(inner)), clock_(clock), refresh_before_(refresh_before) {}

  Result<Credentials> Resolve() override {
    // One fetch at a time: threads that need credentials while a refresh runs wait for it
    // instead of each calling STS or the metadata endpoint.
    std::lock_guard lock(mutex_);
    SystemTime now = clock_->Now();
    if (cached_ && (!cached_->expiration || now < refresh_at_)) return *cached_;

    auto fresh = inner_->Resolve();
    if (fresh.ok()) {
      cached_ = *fresh;
      if (cached_->expiration) {
        // Refresh `refresh_before` ahead of expiry, or halfway for credentials that live
        // shorter than that, so short-lived ones are not fetched again on every call.
        auto left = *cached_->expiration - now;
        auto ahead = std::min<SystemTime::duration>(refresh_before_, left / 2);
        refresh_at_ = *cached_->expiration - ahead;
      }
      return fresh;
    }
    if (cached_ && cached_->expiration && now < *cached_->expiration) {
      // Still valid: keep working, and try again a little later rather than on every call.
      auto left = *cached_->expiration - now;
      refresh_at_ = now + std::min<SystemTime::duration>(std::chrono::seconds(30), left / 2);
      LogLine("warning: refreshing credentials from " + cached_->source + " failed (" +
              fresh.error().ToString() + "); using the current ones until they expire at " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(left).count()) +
              " s from now");
      return *cached_;
    }
    return fresh.error();
  }
  std::string Name() const override { return inner_->Name(); }

 private:
  std::shared_ptr<CredentialsProvider> inner_;
  Clock* clock_;
  std::chrono::seconds refresh_before_;
  std::mutex mutex_;
  std::optional<Credentials> cached_;  // guarded by mutex_
  SystemTime refresh_at_;              // guarded by mutex_
};

}  // namespace

std::shared_ptr<CredentialsProvider> MakeDefaultCredentialsChain(const CredentialsContext& context) {
  auto make_sts = context.make_sts;
  std::string region = context.region;
  std::vector<std::shared_ptr<CredentialsProvider>> sources = {
      EnvironmentCredentials(context.env),
      EnvironmentWebIdentityCredentials(
          context.env, [make_sts, region] { return make_sts ? make_sts(nullptr, region) : nullptr; },
          context.clock),
      ProfileCredentials(context),
      EcsContainerCredentials(context.env, context.http),
      InstanceMetadataCredentials(context.env, context.http, context.clock),
  };
  return std::make_shared<ChainProvider>(std::move(sources));
}

std::shared_ptr<CredentialsProvider> CachingCredentials(std::shared_ptr<CredentialsProvider> inner,
                                                        Clock* clock,
                                                        std::chrono::seconds refresh_before) {
  return std::make_shared<CachingProvider>(std::move(inner), clock, refresh_before);
}

}  // namespace sluice
