// The credential sources of the default chain (credentials_chain.h puts them in order), one
// implementation file each: credentials_environment.cc, credentials_profile.cc,
// credentials_process.cc, credentials_web_identity.cc, credentials_ecs.cc, credentials_imds.cc.
//
// Every source follows the CredentialsProvider contract: a source with nothing to offer (its
// variables unset, its file without such a profile) answers an Error of kind kCredentials whose
// message says what it looked for; a source that is configured but fails (a refused STS call, a
// process that exits 1, an unreachable container endpoint) answers an error that says so, and
// the chain stops there rather than silently falling through to another identity.
// Each is thread-safe; caching and refresh are CachingCredentials' job, not theirs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/aws/credentials/credentials.h"
#include "sluice/aws/credentials/sts_api.h"
#include "sluice/net/http.h"
#include "sluice/util/clock.h"
#include "sluice/util/environment.h"
#include "sluice/util/result.h"
#include "sluice/util/uri.h"

namespace sluice {

// Whether a source found nothing to use (so the chain may try the next one), as opposed to
// being configured and failing.
inline constexpr std::string_view kNotConfiguredPrefix = "not configured: ";
Error NotConfigured(std::string what_was_looked_for);
bool IsNotConfigured(const Error& error);

// A source that always answers `error`: what a misconfigured or absent source resolves to, so
// the problem surfaces when credentials are needed, in the chain's list of what was tried.
std::shared_ptr<CredentialsProvider> FailingCredentials(Error error, std::string name);

// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN). One set without the other
// is an error, not a fall-through: a half-exported pair is a mistake the user wants to hear of.
std::shared_ptr<CredentialsProvider> EnvironmentCredentials(const Environment* env);

// STS AssumeRoleWithWebIdentity with a token read from a file on every call (EKS and ECS
// rotate the file). Used for AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN and for a profile's
// web_identity_token_file.
struct WebIdentitySettings {
  std::string token_file;
  std::string role_arn;
  std::string session_name;  // empty: "sluice-<unix time>"
};
// `make_sts` returns an STS client for unsigned calls (null when it cannot).
std::shared_ptr<CredentialsProvider> WebIdentityCredentials(
    WebIdentitySettings settings, std::function<std::unique_ptr<StsApi>()> make_sts, Clock* clock);
// AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME; NotConfigured when unset.
std::shared_ptr<CredentialsProvider> EnvironmentWebIdentityCredentials(
    const Environment* env, std::function<std::unique_ptr<StsApi>()> make_sts, Clock* clock);

// credential_process: runs `command` with /bin/sh -c (as the Go and Java SDKs do on Unix),
// reads its stdout as the documented JSON ({"Version": 1, "AccessKeyId", "SecretAccessKey",
// "SessionToken", "Expiration"}), and reports its stderr and exit status when it fails.
std::shared_ptr<CredentialsProvider> ProcessCredentials(std::string command, std::string profile,
                                                        std::chrono::milliseconds timeout =
                                                            std::chrono::seconds(60));
// Parses a credential_process's output (pure; for tests).
Result<Credentials> ParseProcessCredentials(std::string_view output, std::string source);

// ECS (and EKS Pod Identity) container credentials:
//   AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -> http://169.254.170.2<relative uri>
//   AWS_CONTAINER_CREDENTIALS_FULL_URI     -> that URL, only if https, or http to a loopback
//                                             address, 169.254.170.2 or 169.254.170.23 / fd00:ec2::23
//   AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every call) or
//   AWS_CONTAINER_AUTHORIZATION_TOKEN      -> the Authorization header
// The answer is JSON: AccessKeyId, SecretAccessKey, Token, Expiration.
std::shared_ptr<CredentialsProvider> EcsContainerCredentials(const Environment* env,
                                                             std::shared_ptr<HttpClient> http);
// Why a FULL_URI is refused, or OK (pure; for tests).
Status ValidateContainerCredentialsUrl(const ParsedUrl& url);

// EC2 instance metadata (IMDSv2): PUT /latest/api/token (TTL 6 hours) then GET
// /latest/meta-data/iam/security-credentials/ for the role name, then the role's credentials,
// sending X-aws-ec2-metadata-token. Falls back to IMDSv1 (no token) only when the token call is
// answered 403/404/405 or times out and AWS_EC2_METADATA_V1_DISABLED is not true (the SDKs'
// rule). AWS_EC2_METADATA_DISABLED=true turns it off (NotConfigured);
// AWS_EC2_METADATA_SERVICE_ENDPOINT moves it (default http://169.254.169.254).
std::shared_ptr<CredentialsProvider> InstanceMetadataCredentials(const Environment* env,
                                                                 std::shared_ptr<HttpClient> http,
                                                                 Clock* clock);

// The JSON both metadata endpoints answer with (pure; for tests). A "Code" other than
// "Success" (IMDS) is an error.
Result<Credentials> ParseMetadataCredentials(std::string_view json, std::string source);

}  // namespace sluice
