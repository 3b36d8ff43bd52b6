#include "sluice/services/lambda_client.h"

#include <algorithm>

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

Result<nlohmann::json> LambdaClient::Call(std::string_view operation, std::string_view method,
                                          const std::string& function, std::string_view rest,
                                          const std::string& query, const nlohmann::json& body) {
  HttpRequest http;
  http.method = std::string(method);
  http.path = FunctionPath(function, rest);
  http.query = query;
  if (!body.is_null()) {
    http.headers.push_back({"content-type", "application/json"});
    http.body = body.dump();
  }
  auto response = client_->Call(operation, std::move(http));
  if (!response.ok()) return response.error();
  if (response->body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return Error::Parse("lambda " + std::string(operation) + ": the answer is no JSON object");
  }
  return j;
}

Result<nlohmann::json> LambdaClient::GetFunctionConfiguration(const std::string& function,
                                                              const std::string& qualifier) {
  return Call("GetFunctionConfiguration", "GET", function, "/configuration",
              qualifier.empty() ? "" : "Qualifier=" + UriEncode(qualifier), nullptr);
}

Result<LambdaFunctionConfig> ParseLambdaFunctionConfig(const nlohmann::json& j) {
  if (!j.is_object() || !j.value("FunctionName", nlohmann::json()).is_string()) {
    return Error::Parse("lambda: a function configuration without a FunctionName");
  }
  auto text = [&](const char* name) {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  LambdaFunctionConfig c;
  c.name = text("FunctionName");
  c.arn = text("FunctionArn");
  c.version = text("Version");
  c.state = text("State");
  c.last_update_status = text("LastUpdateStatus");
  c.last_update_status_reason = text("LastUpdateStatusReason");
  c.last_update_status_reason_code = text("LastUpdateStatusReasonCode");
  c.code_sha256 = text("CodeSha256");
  c.revision_id = text("RevisionId");
  c.package_type = text("PackageType");
  if (auto t = j.find("Timeout"); t != j.end() && t->is_number_integer()) c.timeout_seconds = *t;
  if (auto env = j.find("Environment"); env != j.end() && env->is_object()) {
    if (auto vars = env->find("Variables"); vars != env->end() && vars->is_object()) {
      for (const auto& [name, value] : vars->items()) {
        if (value.is_string()) c.environment.emplace_back(name, value.get<std::string>());
      }
    }
  }
  std::sort(c.environment.begin(), c.environment.end());
  return c;
}

namespace {

Result<LambdaFunctionConfig> AsConfig(Result<nlohmann::json> j) {
  if (!j.ok()) return j.error();
  return ParseLambdaFunctionConfig(*j);
}

Result<LambdaAlias> ParseAlias(const nlohmann::json& j) {
  if (!j.is_object() || !j.value("Name", nlohmann::json()).is_string()) {
    return Error::Parse("lambda: an alias without a Name");
  }
  LambdaAlias alias{j.value("Name", ""), j.value("AliasArn", ""), j.value("FunctionVersion", ""),
                    j.value("RevisionId", ""), {}};
  auto weights = j.find("RoutingConfig");
  if (weights != j.end() && weights->is_object()) {
    auto versions = weights->find("AdditionalVersionWeights");
    if (versions != weights->end() && versions->is_object()) {
      for (const auto& [version, weight] : versions->items()) alias.additional_versions.push_back(version);
    }
  }
  return alias;
}

// A listing's next page, "" after the last.
std::string NextMarker(const nlohmann::json& page) {
  auto it = page.find("NextMarker");
  return it != page.end() && it->is_string() ? it->get<std::string>() : "";
}

Result<LambdaAlias> AsAlias(Result<nlohmann::json> j) {
  if (!j.ok()) return j.error();
  return ParseAlias(*j);
}

}  // namespace

Result<nlohmann::json> LambdaClient::GetFunctionCode(const std::string& function,
                                                     const std::string& qualifier) {
  auto answer = Call("GetFunction", "GET", function, "",
                     qualifier.empty() ? "" : "Qualifier=" + UriEncode(qualifier), nullptr);
  if (!answer.ok()) return answer.error();
  auto code = answer->find("Code");
  if (code == answer->end() || !code->is_object()) return nlohmann::json::object();
  return *code;
}

Result<std::string> LambdaClient::FunctionImage(const std::string& function,
                                                const std::string& qualifier) {
  auto code = GetFunctionCode(function, qualifier);
  if (!code.ok()) return code.error();
  auto uri = code->find("ImageUri");
  return uri != code->end() && uri->is_string() ? uri->get<std::string>() : std::string();
}

Result<std::string> LambdaClient::FunctionImageByDigest(const std::string& function,
                                                        const std::string& qualifier) {
  auto code = GetFunctionCode(function, qualifier);
  if (!code.ok()) return code.error();
  auto text = [&](const char* name) {
    auto it = code->find(name);
    return it != code->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string uri = text("ImageUri");
  if (uri.find("@sha256:") != std::string::npos) return uri;
  std::string resolved = text("ResolvedImageUri");
  return resolved.empty() ? uri : resolved;
}

Result<LambdaFunctionConfig> LambdaClient::UpdateFunctionImage(const std::string& function,
                                                               const std::string& image_uri,
                                                               const std::string& revision_id) {
  nlohmann::json body = {{"ImageUri", image_uri}};
  if (!revision_id.empty()) body["RevisionId"] = revision_id;
  return AsConfig(Call("UpdateFunctionCode", "PUT", function, "/code", "", body));
}

Result<LambdaFunctionConfig> LambdaClient::UpdateFunctionEnvironment(
    const std::string& function, const std::vector<std::pair<std::string, std::string>>& env,
    const std::string& revision_id) {
  nlohmann::json variables = nlohmann::json::object();
  for (const auto& [name, value] : env) variables[name] = value;
  nlohmann::json body = {{"Environment", {{"Variables", variables}}}};
  if (!revision_id.empty()) body["RevisionId"] = revision_id;
  return AsConfig(Call("UpdateFunctionConfiguration", "PUT", function, "/configuration", "", body));
}

Result<LambdaFunctionConfig> LambdaClient::PublishVersion(const std::string& function,
                                                          const std::string& code_sha256,
                                                          const std::string& description) {
  nlohmann::json body = nlohmann::json::object();
  if (!code_sha256.empty()) body["CodeSha256"] = code_sha256;
  if (!description.empty()) body["Description"] = description;
  return AsConfig(Call("PublishVersion", "POST", function, "/versions", "", body));
}

Result<std::optional<LambdaAlias>> LambdaClient::GetAlias(const std::string& function,
                                                          const std::string& alias) {
  auto j = Call("GetAlias", "GET", function, "/aliases/" + UriEncode(alias), "", nullptr);
  if (!j.ok()) {
    if (j.error().code == "ResourceNotFoundException") return std::optional<LambdaAlias>();
    return j.error();
  }
  auto parsed = ParseAlias(*j);
  if (!parsed.ok()) return parsed.error();
  return std::optional<LambdaAlias>(std::move(parsed).value());
}

Result<LambdaAlias> LambdaClient::CreateAlias(const std::string& function, const std::string& alias,
                                              const std::string& version) {
  return AsAlias(Call("CreateAlias", "POST", function, "/aliases", "",
                      {{"Name", alias}, {"FunctionVersion", version}}));
}

Result<LambdaAlias> LambdaClient::UpdateAlias(const std::string& function, const std::string& alias,
                                              const std::string& version,
                                              const std::string& revision_id) {
  nlohmann::json body = {{"FunctionVersion", version}};
  if (!revision_id.empty()) body["RevisionId"] = revision_id;
  return AsAlias(Call("UpdateAlias", "PUT", function, "/aliases/" + UriEncode(alias), "", body));
}

Result<std::vector<LambdaFunctionConfig>> LambdaClient::ListVersions(const std::string& function) {
  std::vector<LambdaFunctionConfig> versions;
  std::string marker;
  do {
    auto page = Call("ListVersionsByFunction", "GET", function, "/versions",
                     marker.empty() ? "" : "Marker=" + UriEncode(marker), nullptr);
    if (!page.ok()) return page.error();
    for (const nlohmann::json& v : page->value("Versions", nlohmann::json::array())) {
      auto parsed = ParseLambdaFunctionConfig(v);
      if (!parsed.ok()) return parsed.error();
      versions.push_back(std::move(parsed).value());
    }
    marker = NextMarker(*page);
  } while (!marker.empty());
  return versions;
}

Result<std::vector<LambdaAlias>> LambdaClient::ListAliases(const std::string& function) {
  std::vector<LambdaAlias> aliases;
  std::string marker;
  do {
    auto page = Call("ListAliases", "GET", function, "/aliases",
                     marker.empty() ? "" : "Marker=" + UriEncode(marker), nullptr);
    if (!page.ok()) return page.error();
    for (const nlohmann::json& a : page->value("Aliases", nlohmann::json::array())) {
      auto parsed = ParseAlias(a);
      if (!parsed.ok()) return parsed.error();
      aliases.push_back(std::move(parsed).value());
    }
    marker = NextMarker(*page);
  } while (!marker.empty());
  return aliases;
}

Status LambdaClient::DeleteVersion(const std::string& function, const std::string& version) {
  if (version.empty() || version == "$LATEST") {
    return Error::InvalidArgument("refusing to delete " + function +
                                  "'s $LATEST: that deletes the function");
  }
  auto j = Call("DeleteFunction", "DELETE", function, "", "Qualifier=" + UriEncode(version), nullptr);
  if (!j.ok()) return j.error();
  return Status::Ok();
}

}  // namespace sluice
