#include "lib/ecs_client.h"

#include "lib/json_protocol.h"

namespace sluice {

Result<std::unique_ptr<EcsClient>> EcsClient::Make(std::shared_ptr<const ClientContext> context) {
  auto client = ServiceClient::Make(std::move(context), kEcs);
  if (!client.ok()) return client.error();
  return std::unique_ptr<EcsClient>(new EcsClient(std::move(client).value()));
}

Result<std::vector<std::string>> EcsClient::ListClusters() {
  std::vector<std::string> arns;
  std::string token;
  do {
    nlohmann::json input = nlohmann::json::object();
    if (!token.empty()) input["nextToken"] = token;
    auto output = CallJson(*client_, kEcsJson, "ListClusters", input);
    if (!output.ok()) return output.error();
    for (const auto& arn : output->value("clusterArns", nlohmann::json::array())) {
      if (arn.is_string()) arns.push_back(arn.get<std::string>());
    }
    token = output->value("nextToken", "");
  } while (!token.empty());
  return arns;
}

}  // namespace sluice
