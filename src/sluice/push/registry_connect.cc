#include "sluice/push/registry_connect.h"

#include <mutex>

#include "sluice/services/ecr_client.h"
#include "sluice/util/uri.h"

namespace sluice {

Result<RegistryConnection> ConnectRegistry(const ImageReference& destination,
                                           const RegistryConnectOptions& options,
                                           std::shared_ptr<const ClientContext> context) {
  RegistryConnection connection;
  connection.ecr = ParseEcrHost(destination.host);

  if (!options.registry_endpoint.empty()) {
    ParsedUrl url;
    if (!ParseUrl(options.registry_endpoint, &url) || url.path != "/" || !url.query.empty()) {
      return Error::InvalidArgument("--registry-endpoint '" + options.registry_endpoint +
                                    "' is not a URL like https://host[:port] (no path)");
    }
    connection.endpoint = url.Endpoint();
  } else {
    connection.endpoint = DefaultRegistryEndpoint(destination.host);
    if (options.insecure) connection.endpoint = "http://" + destination.host;
  }
  if (options.create_repository && !connection.ecr) {
    return Error::InvalidArgument("--create-repository works with ECR registries only (" +
                                  destination.host + " is not an ECR host)");
  }
  if (!options.username.empty() && connection.ecr) {
    return Error::InvalidArgument("ECR takes no --username: its password comes from the AWS "
                                  "credentials (GetAuthorizationToken)");
  }

  RegistryClientOptions client;
  client.http = context->http;
  client.endpoint = connection.endpoint;
  client.host = destination.host;
  client.repository = destination.repository;
  client.retry = std::make_shared<RetryPolicy>(context->retry->options());

  if (connection.ecr) {
    std::shared_ptr<const ClientContext> ecr_context = context;
    if (context->region != connection.ecr->region) {
      ecr_context = WithRegion(context, connection.ecr->region);
    }
    auto ecr = EcrClient::Make(ecr_context);
    if (!ecr.ok()) return ecr.error();
    std::shared_ptr<EcrClient> shared(std::move(ecr).value());
    if (options.create_repository) {
      // One call whether or not it exists: also what needs the fewest IAM permissions.
      Status created = shared->CreateRepository(connection.ecr->account_id, destination.repository,
                                                &connection.repository_created);
      if (!created.ok()) return created.error();
    }
    std::string account = connection.ecr->account_id;
    client.basic_up_front = true;
    client.credentials = [shared, account]() -> Result<std::optional<RegistryCredentials>> {
      auto auth = shared->GetAuthorizationToken(account);
      if (!auth.ok()) return auth.error();
      return std::optional<RegistryCredentials>(
          RegistryCredentials{auth->username, auth->password, ""});
    };
  } else if (!options.username.empty()) {
    RegistryCredentials credentials{options.username, options.password, ""};
    client.credentials = [credentials]() -> Result<std::optional<RegistryCredentials>> {
      return std::optional<RegistryCredentials>(credentials);
    };
  } else {
    const Environment* env = context->env;
    std::string host = destination.host;
    // Read once: a credential helper may be slow, and the answer does not change mid-push.
    auto once = std::make_shared<std::once_flag>();
    auto cached = std::make_shared<Result<std::optional<RegistryCredentials>>>(
        std::optional<RegistryCredentials>());
    client.credentials = [env, host, once, cached]() {
      std::call_once(*once, [&] { *cached = DockerConfigCredentials(*env, host); });
      return *cached;
    };
  }
  connection.client = std::make_unique<RegistryClient>(std::move(client));
  return connection;
}

}  // namespace sluice
