#include "sluice/aws/json_protocol.h"

namespace sluice {

HttpRequest BuildJsonRequest(const JsonProtocol& protocol, std::string_view operation,
                             const nlohmann::json& input) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.headers.push_back(
      {"content-type", "application/x-amz-json-" + std::string(protocol.json_version)});
  request.headers.push_back(
      {"x-amz-target", std::string(protocol.target_prefix) + "." + std::string(operation)});
  request.body = input.is_null() ? "{}" : input.dump();
  return request;
}

Result<nlohmann::json> CallJson(ServiceClient& client, const JsonProtocol& protocol,
                                std::string_view operation, const nlohmann::json& input) {
  auto response = client.Call(operation, BuildJsonRequest(protocol, operation, input));
  if (!response.ok()) return response.error();
  if (response->body.empty()) return nlohmann::json::object();
  auto parsed = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    Error e = Error::Parse("response is not JSON");
    e.service = std::string(client.service().signing_name);
    e.operation = std::string(operation);
    return e;
  }
  return parsed;
}

}  // namespace sluice
