#include "sluice/services/lambda_client.h"

#include "sluice/util/uri.h"

namespace sluice {
namespace {

// The function's path segment: the name (or ARN) encoded once; SigV4 encodes it again, as for
// every service but S3.
std::string FunctionPath(const std::string& function, std::string_view rest) {
  return "/2015-03-31/functions/" + UriEncode(function, /*keep_slash=*/false) + std::string(rest);
}

}  // namespace

std::pair<std::string, std::string> SplitFunctionQualifier(const std::string& function) {
  // arn:aws:lambda:region:account:function:name[:qualifier]
  if (function.rfind("arn:", 0) == 0) return {function, ""};
  size_t colon = function.find(':');
  if (colon == std::string::npos) return {function, ""};
  return {function.substr(0, colon), function.substr(colon + 1)};
}

Result<std::unique_ptr<LambdaClient>> LambdaClient::Make(
    std::shared_ptr<const ClientContext> context) {
  auto client = ServiceClient::Make(std::move(context), kLambda);
  if (!client.ok()) return client.error();
  return std::unique_ptr<LambdaClient>(new LambdaClient(std::move(client).value()));
}

Result<InvokeResult> LambdaClient::Invoke(const InvokeRequest& request) {
  HttpRequest http;
  http.method = "POST";
  http.path = FunctionPath(request.function, "/invocations");
  if (!request.qualifier.empty()) http.query = "Qualifier=" + UriEncode(request.qualifier);
  http.headers.push_back({"content-type", "application/json"});
  http.headers.push_back({"x-amz-invocation-type", request.invocation_type});
  http.body = request.payload;
  http.idle_timeout = request.answer_within;
  auto response = client_->Call("Invoke", std::move(http));
  if (!response.ok()) return response.error();
  InvokeResult result;
  result.status = response->status;
  if (const auto* v = response->Header("x-amz-function-error")) result.function_error = *v;
  if (const auto* v = response->Header("x-amz-executed-version")) result.executed_version = *v;
  result.payload = std::move(response->body);
  return result;
}

Result<nlohmann::json> LambdaClient::GetFunctionConfiguration(const std::string& function,
                                                              const std::string& qualifier) {
  HttpRequest http;
  http.method = "GET";
  http.path = FunctionPath(function, "/configuration");
  if (!qualifier.empty()) http.query = "Qualifier=" + UriEncode(qualifier);
  auto response = client_->Call("GetFunctionConfiguration", std::move(http));
  if (!response.ok()) return response.error();
  auto j = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Error::Parse("lambda GetFunctionConfiguration: the answer is no JSON object");
  return j;
}

}  // namespace sluice
