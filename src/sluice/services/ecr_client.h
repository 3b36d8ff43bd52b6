// ECR's control-plane API over AWS JSON 1.1: the registry password for a push (docker login's
// GetAuthorizationToken) and making sure the repository exists. The registry itself speaks the
// OCI distribution API (registry_auth.h); ECR's API lives in the registry's region, so build the
// context with WithRegion(context, ParseEcrHost(host)->region) when it differs from the tool's.
// Thread-safe.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sluice/aws/service_client.h"
#include "sluice/util/clock.h"
#include "sluice/util/result.h"

namespace sluice {

struct EcrAuthorization {
  std::string username;        // "AWS"
  std::string password;        // the token after the first ':' of the decoded authorizationToken
  std::string proxy_endpoint;  // "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"
  std::optional<SystemTime> expires_at;  // usually 12 hours after the call
};

// One image of a repository as DescribeImages lists it: a manifest (or index) digest and the
// tags on it (none for an untagged one).
struct EcrImage {
  std::string digest;  // "sha256:..."
  std::vector<std::string> tags;
  std::optional<SystemTime> pushed_at;
};

// What BatchDeleteImage answers: the digests gone, and each refusal as "digest: code: reason".
struct EcrDeletion {
  std::vector<std::string> deleted;
  std::vector<std::string> failures;
};

class EcrClient {
 public:
  static Result<std::unique_ptr<EcrClient>> Make(std::shared_ptr<const ClientContext> context);

  // The Basic-auth login for one registry (an account id); an empty id means the caller's own.
  Result<EcrAuthorization> GetAuthorizationToken(const std::string& registry_id);
  // Creates the repository with ECR's defaults; OK also when it already exists. `created`, when
  // given, says whether this call made it.
  Status CreateRepository(const std::string& registry_id, const std::string& repository_name,
                          bool* created = nullptr);
  // Whether DescribeRepositories finds it (RepositoryNotFoundException is false, not an error).
  Result<bool> RepositoryExists(const std::string& registry_id,
                                const std::string& repository_name);

  // Every image of the repository (all pages).
  Result<std::vector<EcrImage>> DescribeImages(const std::string& registry_id,
                                               const std::string& repository_name);
  // Deletes images by digest (with all their tags), up to 100 per call. An image already gone
  // (ImageNotFound) counts as deleted: a clean-up run twice is not a failure.
  Result<EcrDeletion> BatchDeleteImage(const std::string& registry_id,
                                       const std::string& repository_name,
                                       const std::vector<std::string>& digests);

  ServiceClient& service() { return *client_; }

 private:
  explicit EcrClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}
  std::shared_ptr<ServiceClient> client_;
};

// The authorizationData[0] of a GetAuthorizationToken answer (pure; for tests). Errors never
// quote the token.
Result<EcrAuthorization> ParseAuthorizationData(const nlohmann::json& output);

}  // namespace sluice
