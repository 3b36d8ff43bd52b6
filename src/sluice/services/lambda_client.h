// Lambda over REST-JSON: invoking a function (what sluice-trigger --lambda-function does per
// event), reading its configuration (the check before the first event), and what a deploy of a
// container-image function needs: new code, new environment, versions and aliases.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// What GetFunctionConfiguration (and the update calls) answer, the fields a deploy reads.
struct LambdaFunctionConfig {
  std::string name;
  std::string arn;
  std::string version;  // "$LATEST" or a number
  std::string state;    // Pending, Active, Inactive, Failed
  std::string last_update_status;  // InProgress, Successful, Failed
  std::string last_update_status_reason;
  std::string last_update_status_reason_code;
  std::string code_sha256;
  std::string revision_id;
  std::string package_type;  // Zip, Image
  std::vector<std::pair<std::string, std::string>> environment;  // sorted by name
  int timeout_seconds = 0;
};
// Parses one (pure): an Error::Parse when it is not an object with a FunctionName.
Result<LambdaFunctionConfig> ParseLambdaFunctionConfig(const nlohmann::json& j);

struct LambdaAlias {
  std::string name;
  std::string arn;
  std::string function_version;
  std::string revision_id;
  // RoutingConfig.AdditionalVersionWeights: the versions a weighted alias also sends calls to.
  std::vector<std::string> additional_versions;
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

  // The image a container-image function (or one version of it) runs: GetFunction's
  // Code.ImageUri; "" for a zip one.
  Result<std::string> FunctionImage(const std::string& function, const std::string& qualifier = "");
  // The same, pinned to a digest: the ImageUri when it names one, else Code.ResolvedImageUri
  // (the digest the tag named when the version was made, which is what it runs).
  Result<std::string> FunctionImageByDigest(const std::string& function,
                                            const std::string& qualifier);
  // The deploy's calls. `revision_id`, when given, makes the call fail (412
  // PreconditionFailedException) if the function changed since it was read.
  Result<LambdaFunctionConfig> UpdateFunctionImage(const std::string& function,
                                                   const std::string& image_uri,
                                                   const std::string& revision_id = "");
  Result<LambdaFunctionConfig> UpdateFunctionEnvironment(
      const std::string& function, const std::vector<std::pair<std::string, std::string>>& env,
      const std::string& revision_id = "");
  // Publishes $LATEST as a version, only if its code is still `code_sha256` (when given).
  Result<LambdaFunctionConfig> PublishVersion(const std::string& function,
                                              const std::string& code_sha256,
                                              const std::string& description = "");
  // nullopt when the alias does not exist.
  Result<std::optional<LambdaAlias>> GetAlias(const std::string& function, const std::string& alias);
  Result<LambdaAlias> CreateAlias(const std::string& function, const std::string& alias,
                                  const std::string& version);
  Result<LambdaAlias> UpdateAlias(const std::string& function, const std::string& alias,
                                  const std::string& version, const std::string& revision_id = "");
  // Every version ($LATEST included) and every alias, following NextMarker.
  Result<std::vector<LambdaFunctionConfig>> ListVersions(const std::string& function);
  Result<std::vector<LambdaAlias>> ListAliases(const std::string& function);
  Status DeleteVersion(const std::string& function, const std::string& version);

 private:
  explicit LambdaClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}
  // One REST-JSON call: `path` under the function (encoded here), a query, a JSON body unless
  // null; the answer's JSON (an empty object for a bodyless one).
  Result<nlohmann::json> Call(std::string_view operation, std::string_view method,
                              const std::string& function, std::string_view rest,
                              const std::string& query, const nlohmann::json& body);
  // GetFunction's Code object ({} for a function without one).
  Result<nlohmann::json> GetFunctionCode(const std::string& function, const std::string& qualifier);
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace sluice
