// The AWS JSON 1.0/1.1 protocol (ECS, ECR, CloudWatch Logs, SQS): POST / with the operation in
// X-Amz-Target and a JSON document in and out.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "sluice/aws/service_client.h"
#include "sluice/util/result.h"

namespace sluice {

struct JsonProtocol {
  std::string_view target_prefix;  // "AmazonEC2ContainerServiceV20141113"
  std::string_view json_version;   // "1.1" or "1.0"
};

inline constexpr JsonProtocol kEcsJson{"AmazonEC2ContainerServiceV20141113", "1.1"};
inline constexpr JsonProtocol kEcrJson{"AmazonEC2ContainerRegistry_V20150921", "1.1"};
inline constexpr JsonProtocol kLogsJson{"Logs_20140328", "1.1"};
inline constexpr JsonProtocol kSqsJson{"AmazonSQS", "1.0"};

// Builds the HTTP request for one operation (pure; for tests).
HttpRequest BuildJsonRequest(const JsonProtocol& protocol, std::string_view operation,
                             const nlohmann::json& input);

// Calls the operation; the response body parsed as JSON (an empty body is an empty object).
Result<nlohmann::json> CallJson(ServiceClient& client, const JsonProtocol& protocol,
                                std::string_view operation, const nlohmann::json& input);

}  // namespace sluice
