#include "sluice/services/ecr_client.h"

#include "sluice/aws/json_protocol.h"
#include "sluice/util/crypto.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

// The registry id is optional in every ECR call; sent only when given, so an empty one means
// the account of the credentials rather than a validation error.
void AddRegistryId(nlohmann::json& input, const std::string& registry_id) {
  if (!registry_id.empty()) input["registryId"] = registry_id;
}

}  // namespace

Result<EcrAuthorization> ParseAuthorizationData(const nlohmann::json& output) {
  auto data = output.find("authorizationData");
  if (data == output.end() || !data->is_array() || data->empty() || !(*data)[0].is_object()) {
    return Error::Parse("ECR GetAuthorizationToken returned no authorizationData");
  }
  const nlohmann::json& first = (*data)[0];
  auto token = first.find("authorizationToken");
  std::string decoded;
  if (token == first.end() || !token->is_string() ||
      !Base64Decode(token->get<std::string>(), &decoded)) {
    return Error::Parse("ECR GetAuthorizationToken returned an authorizationToken that is not "
                        "base64");
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    return Error::Parse("ECR GetAuthorizationToken returned an authorizationToken that is not "
                        "USER:PASSWORD");
  }
  EcrAuthorization auth;
  auth.username = decoded.substr(0, colon);
  auth.password = decoded.substr(colon + 1);
  auth.proxy_endpoint = first.value("proxyEndpoint", "");
  if (auto expires = first.find("expiresAt"); expires != first.end() && expires->is_number()) {
    auth.expires_at = FromEpochSeconds(expires->get<double>());
  }
  return auth;
}

Result<std::unique_ptr<EcrClient>> EcrClient::Make(std::shared_ptr<const ClientContext> context) {
  auto client = ServiceClient::Make(std::move(context), kEcr);
  if (!client.ok()) return client.error();
  return std::unique_ptr<EcrClient>(new EcrClient(std::move(client).value()));
}

Result<EcrAuthorization> EcrClient::GetAuthorizationToken(const std::string& registry_id) {
  // registryIds is deprecated (every token now works for every registry the caller may use),
  // but still accepted, and it makes proxyEndpoint name the registry asked for.
  nlohmann::json input = nlohmann::json::object();
  if (!registry_id.empty()) input["registryIds"] = {registry_id};
  auto output = CallJson(*client_, kEcrJson, "GetAuthorizationToken", input);
  if (!output.ok()) return output.error();
  return ParseAuthorizationData(*output);
}

Status EcrClient::CreateRepository(const std::string& registry_id,
                                   const std::string& repository_name, bool* created) {
  nlohmann::json input = {{"repositoryName", repository_name}};
  AddRegistryId(input, registry_id);
  auto output = CallJson(*client_, kEcrJson, "CreateRepository", input);
  // Two pushes racing to create the same repository both succeed.
  if (!output.ok() && output.error().code != "RepositoryAlreadyExistsException") {
    return output.error();
  }
  if (created != nullptr) *created = output.ok();
  return Status::Ok();
}

Result<bool> EcrClient::RepositoryExists(const std::string& registry_id,
                                         const std::string& repository_name) {
  nlohmann::json input = {{"repositoryNames", {repository_name}}};
  AddRegistryId(input, registry_id);
  auto output = CallJson(*client_, kEcrJson, "DescribeRepositories", input);
  if (!output.ok()) {
    if (output.error().code == "RepositoryNotFoundException") return false;
    return output.error();
  }
  for (const auto& repository : output->value("repositories", nlohmann::json::array())) {
    if (repository.is_object() && repository.value("repositoryName", "") == repository_name) {
      return true;
    }
  }
  return false;
}

}  // namespace sluice
