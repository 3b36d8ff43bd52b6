// From a destination name to a ready RegistryClient: which address the registry traffic goes to
// (https://HOST, or --registry-endpoint for VPC endpoints and tests), and where its credentials
// come from — ECR's GetAuthorizationToken for an ECR host (in the registry's own region, through
// AWS_ENDPOINT_URL_ECR / --endpoint-url when set), else --username with a password, else
// docker's config.json. Also --create-repository for ECR.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "sluice/aws/client_context.h"
#include "sluice/oci/image_reference.h"
#include "sluice/registry/registry_client.h"
#include "sluice/util/result.h"

namespace sluice {

struct RegistryConnectOptions {
  std::string registry_endpoint;  // --registry-endpoint; empty: from the host
  bool insecure = false;          // plain http:// to the host itself
  std::string username;           // with password: explicit credentials for any registry
  std::string password;
  bool create_repository = false;  // ECR only
};

struct RegistryConnection {
  std::unique_ptr<RegistryClient> client;
  std::string endpoint;
  std::optional<EcrRegistry> ecr;
  bool repository_created = false;
};

// Checks the options (plain http only with --registry-endpoint or --insecure; --create-repository
// only for ECR: Error::InvalidArgument, a usage error) and, for ECR with --create-repository,
// creates the repository. Credentials are fetched lazily, when the registry first asks.
Result<RegistryConnection> ConnectRegistry(const ImageReference& destination,
                                           const RegistryConnectOptions& options,
                                           std::shared_ptr<const ClientContext> context);

}  // namespace sluice
