#include "sluice/services/ecr_client.h"

#include <algorithm>
#include <set>

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

Result<std::vector<EcrImage>> EcrClient::DescribeImages(const std::string& registry_id,
                                                        const std::string& repository_name) {
  std::vector<EcrImage> images;
  std::string token;
  do {
    nlohmann::json input = {{"repositoryName", repository_name}, {"maxResults", 1000}};
    AddRegistryId(input, registry_id);
    if (!token.empty()) input["nextToken"] = token;
    auto output = CallJson(*client_, kEcrJson, "DescribeImages", input);
    if (!output.ok()) return output.error();
    for (const auto& detail : output->value("imageDetails", nlohmann::json::array())) {
      if (!detail.is_object() || !detail.value("imageDigest", nlohmann::json()).is_string()) continue;
      EcrImage image;
      image.digest = detail["imageDigest"].get<std::string>();
      for (const auto& tag : detail.value("imageTags", nlohmann::json::array())) {
        if (tag.is_string()) image.tags.push_back(tag.get<std::string>());
      }
      if (auto at = detail.find("imagePushedAt"); at != detail.end() && at->is_number()) {
        image.pushed_at = FromEpochSeconds(at->get<double>());
      }
      images.push_back(std::move(image));
    }
    token = output->value("nextToken", "");
  } while (!token.empty());
  return images;
}

Result<EcrDeletion> EcrClient::BatchDeleteImage(const std::string& registry_id,
                                                const std::string& repository_name,
                                                const std::vector<std::string>& digests) {
  EcrDeletion result;
  for (size_t begin = 0; begin < digests.size(); begin += 100) {
    nlohmann::json ids = nlohmann::json::array();
    for (size_t i = begin; i < std::min(digests.size(), begin + 100); ++i) {
      ids.push_back({{"imageDigest", digests[i]}});
    }
    nlohmann::json input = {{"repositoryName", repository_name}, {"imageIds", ids}};
    AddRegistryId(input, registry_id);
    auto output = CallJson(*client_, kEcrJson, "BatchDeleteImage", input);
    if (!output.ok()) return output.error();
    std::set<std::string> gone;
    for (const auto& id : output->value("imageIds", nlohmann::json::array())) {
      if (id.is_object() && id.value("imageDigest", nlohmann::json()).is_string()) {
        gone.insert(id["imageDigest"].get<std::string>());
      }
    }
    for (const auto& failure : output->value("failures", nlohmann::json::array())) {
      if (!failure.is_object()) continue;
      std::string digest = failure.value("/imageId/imageDigest"_json_pointer, std::string("?"));
      std::string code = failure.value("failureCode", "");
      if (code == "ImageNotFound") {
        gone.insert(digest);
        continue;
      }
      result.failures.push_back(digest + ": " + code + ": " + failure.value("failureReason", ""));
    }
    for (size_t i = begin; i < std::min(digests.size(), begin + 100); ++i) {
      if (gone.count(digests[i])) result.deleted.push_back(digests[i]);
    }
  }
  return result;
}

}  // namespace sluice
