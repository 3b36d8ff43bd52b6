// Web identity: an OIDC token in a file (EKS IRSA, GitHub Actions, ECS with a token file),
// exchanged for role credentials with STS AssumeRoleWithWebIdentity, which needs no signature.
// InvalidIdentityToken and IDPCommunicationError are retried (re-reading the file each time),
// as the Go and C++ SDKs do: a CI OIDC token used the moment it is issued can race the
// identity provider's key publication, and STS failing to reach the provider is transient.
#include <cstring>

#include "sluice/aws/credentials/credential_sources.h"
#include "sluice/os/file_read.h"

namespace sluice {
namespace {

class WebIdentityProvider : public CredentialsProvider {
 public:
  WebIdentityProvider(WebIdentitySettings settings,
                      std::function<std::unique_ptr<StsApi>()> make_sts, Clock* clock)
      : settings_(std::move(settings)), make_sts_(std::move(make_sts)), clock_(clock) {}

  Result<Credentials> Resolve() override {
    for (int attempt = 1;; ++attempt) {
      auto credentials = ResolveOnce();
      if (credentials.ok() || attempt >= kAttempts) return credentials;
      const std::string& code = credentials.error().code;
      if (code != "InvalidIdentityToken" && code != "IDPCommunicationError") return credentials;
      clock_->SleepFor(kFirstDelay * (1 << (attempt - 1)));
    }
  }
  std::string Name() const override { return "web identity"; }

 private:
  static constexpr int kAttempts = 4;
  static constexpr std::chrono::milliseconds kFirstDelay{500};  // then 1 s, 2 s

  Result<Credentials> ResolveOnce() {
    // Read on every call: the file is rotated under us (EKS refreshes it hourly).
    int error = 0;
    auto read = ReadWholeFile(settings_.token_file, &error);
    if (!read) {
      return Error::Credentials("web identity token file " + settings_.token_file +
                                " cannot be read (" + std::strerror(error) +
                                "): check AWS_WEB_IDENTITY_TOKEN_FILE / web_identity_token_file");
    }
    std::string token = std::move(*read);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
      token.pop_back();
    }
    if (token.empty()) {
      return Error::Credentials("web identity token file " + settings_.token_file + " is empty");
    }
    auto sts = make_sts_ ? make_sts_() : nullptr;
    if (!sts) return Error::Credentials("web identity: no STS client could be made");
    AssumeRoleParams params;
    params.role_arn = settings_.role_arn;
    params.role_session_name = settings_.session_name;
    if (params.role_session_name.empty()) {
      params.role_session_name =
          "sluice-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                         clock_->Now().time_since_epoch())
                                         .count());
    }
    params.web_identity_token = std::move(token);
    auto credentials = sts->AssumeRoleWithWebIdentity(params);
    if (!credentials.ok()) {
      Error e = credentials.error();
      e.message = "assuming role " + settings_.role_arn + " with a web identity token failed: " +
                  (e.code.empty() ? "" : e.code + ": ") + e.message;
      return e;
    }
    return credentials;
  }

  WebIdentitySettings settings_;
  std::function<std::unique_ptr<StsApi>()> make_sts_;
  Clock* clock_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> WebIdentityCredentials(
    WebIdentitySettings settings, std::function<std::unique_ptr<StsApi>()> make_sts, Clock* clock) {
  return std::make_shared<WebIdentityProvider>(std::move(settings), std::move(make_sts), clock);
}

std::shared_ptr<CredentialsProvider> EnvironmentWebIdentityCredentials(
    const Environment* env, std::function<std::unique_ptr<StsApi>()> make_sts, Clock* clock) {
  auto file = env->GetNonEmpty("AWS_WEB_IDENTITY_TOKEN_FILE");
  auto role = env->GetNonEmpty("AWS_ROLE_ARN");
  if (!file && !role) {
    return FailingCredentials(NotConfigured("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN unset"),
                              "web identity");
  }
  if (!file || !role) {
    // The SDKs skip web identity then (AWS_ROLE_ARN alone has other uses); the chain's final
    // error still shows the half-set pair.
    return FailingCredentials(
        NotConfigured(std::string(file ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN") +
                      " is set but " + (file ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE") +
                      " is not"),
        "web identity");
  }
  WebIdentitySettings settings{*file, *role, env->GetNonEmpty("AWS_ROLE_SESSION_NAME").value_or("")};
  return WebIdentityCredentials(std::move(settings), std::move(make_sts), clock);
}

}  // namespace sluice
