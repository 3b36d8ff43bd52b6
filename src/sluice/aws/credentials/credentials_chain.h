// The default credential chain, in the AWS SDKs' order:
//   1. environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)
//   2. web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, STS AssumeRoleWithWebIdentity)
//   3. the shared config/credentials files' profile: static keys, role_arn + source_profile or
//      credential_source (STS AssumeRole), web_identity_token_file, credential_process
//   4. ECS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI)
//   5. EC2 instance metadata (IMDSv2), unless AWS_EC2_METADATA_DISABLED=true
// The first source that has credentials wins; temporary credentials are cached and refreshed
// ahead of their expiry. When none has any, the error lists what each source said.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sluice/aws/config/shared_config.h"
#include "sluice/aws/credentials/credentials.h"
#include "sluice/aws/credentials/sts_api.h"
#include "sluice/net/http.h"
#include "sluice/util/clock.h"
#include "sluice/util/environment.h"

namespace sluice {

// Makes an STS client for `region` that signs with `source` (null: unsigned, for web identity).
using StsFactory = std::function<std::unique_ptr<StsApi>(
    std::shared_ptr<CredentialsProvider> source, const std::string& region)>;

struct CredentialsContext {
  const Environment* env = nullptr;
  const SharedConfig* config = nullptr;
  std::string profile;                 // already selected (SelectedProfileName)
  std::string region;                  // for STS calls made by role sources
  std::shared_ptr<HttpClient> http;    // for the ECS and EC2 metadata endpoints
  Clock* clock = nullptr;
  StsFactory make_sts;
};

std::shared_ptr<CredentialsProvider> MakeDefaultCredentialsChain(const CredentialsContext& context);

// The profile source alone (credentials_profile.cc): context.profile's keys, role, web identity
// file or credential_process.
std::shared_ptr<CredentialsProvider> ProfileCredentials(const CredentialsContext& context);

// Caches what `inner` returns; temporary credentials are fetched again when they are within
// `refresh_before` of expiring (so a watcher that runs for days keeps working), and a failed
// refresh keeps using still-valid credentials. Thread-safe.
std::shared_ptr<CredentialsProvider> CachingCredentials(
    std::shared_ptr<CredentialsProvider> inner, Clock* clock,
    std::chrono::seconds refresh_before = std::chrono::seconds(300));

}  // namespace sluice
