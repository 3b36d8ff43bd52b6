// Credentials from a profile of the shared config/credentials files, resolved the way botocore
// and the Go/Java SDKs do:
//   role_arn + source_profile     -> the source profile's credentials (recursively, so roles
//                                    chain), then STS AssumeRole
//   role_arn + credential_source  -> Environment, EcsContainer or Ec2InstanceMetadata, then
//                                    AssumeRole
//   role_arn + web_identity_token_file -> AssumeRoleWithWebIdentity
//   aws_access_key_id + aws_secret_access_key (+ aws_session_token)
//   credential_process
#include <cstdlib>
#include <mutex>
#include <set>

#include "sluice/aws/credentials/credential_sources.h"
#include "sluice/aws/credentials/credentials_chain.h"

namespace sluice {
namespace {

std::string SessionName(const Profile& profile, Clock* clock) {
  if (const std::string* name = profile.Get("role_session_name")) return *name;
  return "sluice-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                        clock->Now().time_since_epoch())
                                        .count());
}

// AssumeRole with credentials from another provider.
class AssumeRoleProvider : public CredentialsProvider {
 public:
  AssumeRoleProvider(AssumeRoleParams params, std::shared_ptr<CredentialsProvider> source,
                     const CredentialsContext& context)
      : params_(std::move(params)), source_(std::move(source)), context_(context) {}

  Result<Credentials> Resolve() override {
    // Surface the source's own failure first: "no credentials for the source profile" says
    // more than an STS error about unsigned requests.
    auto source = source_->Resolve();
    if (!source.ok()) return source.error();
    auto sts = context_.make_sts ? context_.make_sts(source_, context_.region) : nullptr;
    if (!sts) return Error::Credentials("assume role: no STS client could be made");
    auto credentials = sts->AssumeRole(params_);
    if (!credentials.ok()) {
      Error e = credentials.error();
      e.message = "assuming role " + params_.role_arn + " with the credentials from " +
                  source->source + " failed: " + (e.code.empty() ? "" : e.code + ": ") + e.message;
      return e;
    }
    return credentials;
  }
  std::string Name() const override { return "assume role " + params_.role_arn; }

 private:
  AssumeRoleParams params_;
  std::shared_ptr<CredentialsProvider> source_;
  CredentialsContext context_;
};

class ProfileProvider : public CredentialsProvider {
 public:
  explicit ProfileProvider(const CredentialsContext& context) : context_(context) {}

  Result<Credentials> Resolve() override {
    // Built on first use and kept: the role providers inside cache their source credentials.
    std::call_once(built_, [&] {
      std::set<std::string> visited;
      provider_ = Build(context_.profile, visited, /*is_source=*/false);
    });
    return provider_->Resolve();
  }
  std::string Name() const override { return "profile " + context_.profile; }

 private:
  std::shared_ptr<CredentialsProvider> Fail(std::string message) {
    return FailingCredentials(Error::Credentials(std::move(message)), "profile");
  }

  std::shared_ptr<CredentialsProvider> Build(const std::string& name, std::set<std::string>& visited,
                                             bool is_source) {
    const Profile* profile = context_.config ? context_.config->FindProfile(name) : nullptr;
    if (profile == nullptr) {
      if (!is_source) {
        return FailingCredentials(
            NotConfigured("no profile \"" + name + "\" in the shared config or credentials file"),
            "profile " + name);
      }
      return Fail("source_profile \"" + name + "\" is not in the shared config or credentials file");
    }
    std::string label = "profile " + name;
    if (!visited.insert(name).second) {
      return Fail(label + " is part of a source_profile loop");
    }
    const std::string* role_arn = profile->Get("role_arn");
    const std::string* key_id = profile->Get("aws_access_key_id");
    const std::string* secret = profile->Get("aws_secret_access_key");
    bool has_static = key_id != nullptr && secret != nullptr;

    // A source profile that has its own keys uses them even if it also names a role (botocore
    // does this so that a profile can be both a role and the source of itself).
    if (role_arn != nullptr && !(is_source && has_static)) return BuildRole(*profile, visited);

    if (key_id != nullptr || secret != nullptr) {
      if (!has_static) {
        return Fail(label + " has " + (key_id ? "aws_access_key_id" : "aws_secret_access_key") +
                    " but no " + (key_id ? "aws_secret_access_key" : "aws_access_key_id"));
      }
      Credentials c;
      c.access_key_id = *key_id;
      c.secret_access_key = *secret;
      if (const std::string* token = profile->Get("aws_session_token")) c.session_token = *token;
      c.source = label;
      return StaticCredentials(std::move(c));
    }
    if (const std::string* command = profile->Get("credential_process")) {
      return CachingCredentials(ProcessCredentials(*command, name), context_.clock);
    }
    if (profile->Get("sso_session") != nullptr || profile->Get("sso_start_url") != nullptr) {
      return Fail(label + " uses IAM Identity Center (SSO), which sluice does not read: add "
                  "`credential_process = aws configure export-credentials --profile " + name +
                  " --format process` to it, or export the keys");
    }
    if (!is_source) {
      return FailingCredentials(
          NotConfigured(label + " has no credentials (no keys, role_arn or credential_process)"),
          label);
    }
    return Fail("source " + label + " has no credentials (no keys, role_arn or credential_process)");
  }

  std::shared_ptr<CredentialsProvider> BuildRole(const Profile& profile,
                                                 std::set<std::string>& visited) {
    std::string label = "profile " + profile.name;
    AssumeRoleParams params;
    params.role_arn = *profile.Get("role_arn");
    params.role_session_name = SessionName(profile, context_.clock);
    if (const std::string* id = profile.Get("external_id")) params.external_id = *id;
    if (const std::string* d = profile.Get("duration_seconds")) {
      params.duration_seconds = std::atoi(d->c_str());
      if (params.duration_seconds < 900 || params.duration_seconds > 43200) {
        return Fail(label + ": duration_seconds must be from 900 to 43200, not " + *d);
      }
    }

    const std::string* source_profile = profile.Get("source_profile");
    const std::string* credential_source = profile.Get("credential_source");
    const std::string* token_file = profile.Get("web_identity_token_file");
    int sources = (source_profile != nullptr) + (credential_source != nullptr) + (token_file != nullptr);
    if (sources == 0) {
      return Fail(label + " has role_arn but no source_profile, credential_source or "
                  "web_identity_token_file to assume it with");
    }
    if (sources > 1) {
      return Fail(label + " has role_arn with more than one of source_profile, credential_source "
                  "and web_identity_token_file: keep one");
    }
    if (token_file != nullptr) {
      WebIdentitySettings settings{*token_file, params.role_arn, params.role_session_name};
      auto make_sts = context_.make_sts;
      std::string region = context_.region;
      return WebIdentityCredentials(
          std::move(settings), [make_sts, region] { return make_sts ? make_sts(nullptr, region) : nullptr; },
          context_.clock);
    }
    std::shared_ptr<CredentialsProvider> source;
    if (source_profile != nullptr) {
      source = *source_profile == profile.name
                   ? BuildSelfSource(profile)
                   : Build(*source_profile, visited, /*is_source=*/true);
    } else if (*credential_source == "Environment") {
      source = EnvironmentCredentials(context_.env);
    } else if (*credential_source == "EcsContainer") {
      source = EcsContainerCredentials(context_.env, context_.http);
    } else if (*credential_source == "Ec2InstanceMetadata") {
      source = InstanceMetadataCredentials(context_.env, context_.http, context_.clock);
    } else {
      return Fail(label + ": credential_source must be Environment, EcsContainer or "
                  "Ec2InstanceMetadata, not \"" + *credential_source + "\"");
    }
    auto role = std::make_shared<AssumeRoleProvider>(std::move(params),
                                                     CachingCredentials(source, context_.clock),
                                                     context_);
    return role;
  }

  // source_profile naming the profile itself: its static keys are the source.
  std::shared_ptr<CredentialsProvider> BuildSelfSource(const Profile& profile) {
    const std::string* key_id = profile.Get("aws_access_key_id");
    const std::string* secret = profile.Get("aws_secret_access_key");
    if (key_id == nullptr || secret == nullptr) {
      return Fail("profile " + profile.name + " is its own source_profile but has no keys");
    }
    Credentials c{*key_id, *secret, "", {}, "profile " + profile.name};
    if (const std::string* token = profile.Get("aws_session_token")) c.session_token = *token;
    return StaticCredentials(std::move(c));
  }

  CredentialsContext context_;
  std::once_flag built_;
  std::shared_ptr<CredentialsProvider> provider_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> ProfileCredentials(const CredentialsContext& context) {
  return std::make_shared<ProfileProvider>(context);
}

}  // namespace sluice
