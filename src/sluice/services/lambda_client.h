// Lambda over REST-JSON: invoking a function (what sluice-trigger --lambda-function does per
// event) and reading its configuration (the check before the first event).
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "sluice/aws/service_client.h"
#include "sluice/util/result.h"

namespace sluice {

struct InvokeRequest {
  std::string function;   // a name, a name:qualifier, or an ARN
  std::string qualifier;  // a version or alias; empty: what `function` names ($LATEST)
  std::string payload;    // JSON
  std::string invocation_type = "RequestResponse";  // or "Event", "DryRun"
  // How long the answer may take to start (0: the HTTP client's idle timeout, a minute): a
  // synchronous invocation answers when the function returns, after up to its own Timeout.
  std::chrono::milliseconds answer_within{0};
};

struct InvokeResult {
  int status = 0;  // 200 (RequestResponse), 202 (Event), 204 (DryRun)
  // X-Amz-Function-Error: "Unhandled" or "Handled" when the function failed (the call itself
  // succeeded, and `payload` is the function's error document); empty otherwise.
  std::string function_error;
  std::string executed_version;  // X-Amz-Executed-Version
  std::string payload;           // the function's response
};

// Splits "name:qualifier" (not an ARN's colons): {name, qualifier} (pure).
std::pair<std::string, std::string> SplitFunctionQualifier(const std::string& function);

class LambdaClient {
 public:
  static Result<std::unique_ptr<LambdaClient>> Make(std::shared_ptr<const ClientContext> context);

  // The function's failure is an InvokeResult with function_error set, not an Error: an Error
  // is the call failing (no such function, throttling after retries, no permission).
  Result<InvokeResult> Invoke(const InvokeRequest& request);
  // GetFunctionConfiguration: the function's configuration, or an Error naming it
  // (ResourceNotFoundException, AccessDenied).
  Result<nlohmann::json> GetFunctionConfiguration(const std::string& function,
                                                  const std::string& qualifier);

 private:
  explicit LambdaClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace sluice
