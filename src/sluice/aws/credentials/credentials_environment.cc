// Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
#include "sluice/aws/credentials/credential_sources.h"

namespace sluice {
namespace {

class EnvironmentProvider : public CredentialsProvider {
 public:
  explicit EnvironmentProvider(const Environment* env) : env_(env) {}

  Result<Credentials> Resolve() override {
    auto id = env_->GetNonEmpty("AWS_ACCESS_KEY_ID");
    auto secret = env_->GetNonEmpty("AWS_SECRET_ACCESS_KEY");
    if (!id && !secret) return NotConfigured("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY unset");
    if (!id || !secret) {
      return Error::Credentials(std::string(id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
                                " is set but " + (id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                                " is not: export both, or unset both to use another source");
    }
    Credentials c;
    c.access_key_id = *id;
    c.secret_access_key = *secret;
    if (auto token = env_->GetNonEmpty("AWS_SESSION_TOKEN")) c.session_token = *token;
    c.source = "environment variables";
    return c;
  }
  std::string Name() const override { return "environment"; }

 private:
  const Environment* env_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> EnvironmentCredentials(const Environment* env) {
  return std::make_shared<EnvironmentProvider>(env);
}

}  // namespace sluice
