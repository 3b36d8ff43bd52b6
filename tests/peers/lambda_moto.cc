#include "tests/peers/lambda_moto.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sluice/aws/query_protocol.h"
#include "sluice/aws/service_client.h"
#include "sluice/net/http.h"

namespace sluice::testing {
namespace {

using nlohmann::json;

// moto's own API (unsigned, at the server's root).
bool PostMotoApi(const MotoServer& moto, const std::string& path, const json& body) {
  auto http = MakeCurlHttpClient({});
  HttpRequest request;
  request.method = "POST";
  request.endpoint = moto.endpoint();
  request.path = path;
  request.headers = {{"host", moto.endpoint().substr(7)}, {"content-type", "application/json"}};
  request.body = body.dump();
  auto response = http->Send(request);
  if (!response.ok() || response->status / 100 != 2) {
    ADD_FAILURE() << "moto " << path << ": "
                  << (response.ok() ? std::to_string(response->status) + " " + response->body
                                    : response.error().ToString());
    return false;
  }
  return true;
}

// An empty zip archive: moto stores the code and does not run it.
constexpr const char* kEmptyZipBase64 = "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==";

}  // namespace

bool LambdaMoto::Start(const MotoServer& moto, const std::string& name) {
  moto_ = &moto;
  if (!PostMotoApi(moto, "/moto-api/config", {{"lambda", {{"use_docker", false}}}})) return false;
  auto iam = ServiceClient::Make(moto.Context(), kIam);
  if (!iam.ok()) {
    ADD_FAILURE() << "no IAM client for moto";
    return false;
  }
  std::string role = name + "-role";
  auto created_role = CallQuery(**iam, "CreateRole", "2010-05-08",
                                {{"RoleName", role}, {"AssumeRolePolicyDocument", "{}"}});
  if (!created_role.ok()) {
    ADD_FAILURE() << "CreateRole: " << created_role.error().ToString();
    return false;
  }
  role_arn_ = "arn:aws:iam::" + moto.account_id() + ":role/" + role;
  arn_ = Create({{"FunctionName", name},
                 {"Runtime", "python3.11"},
                 {"Handler", "handler.handle"},
                 {"Code", {{"ZipFile", kEmptyZipBase64}}}});
  return !arn_.empty();
}

bool LambdaMoto::CreateImageFunction(const std::string& name, const std::string& image,
                                     const std::map<std::string, std::string>& env) {
  return !Create({{"FunctionName", name},
                  {"PackageType", "Image"},
                  {"Code", {{"ImageUri", image}}},
                  {"Environment", {{"Variables", env}}}})
              .empty();
}

std::string LambdaMoto::Create(json function) {
  auto lambda = ServiceClient::Make(moto_->Context(), kLambda);
  if (!lambda.ok()) {
    ADD_FAILURE() << "no Lambda client for moto";
    return "";
  }
  function["Role"] = role_arn_;
  HttpRequest request;
  request.method = "POST";
  request.path = "/2015-03-31/functions";
  request.headers = {{"content-type", "application/json"}};
  request.body = function.dump();
  auto created = (*lambda)->Call("CreateFunction", std::move(request));
  if (!created.ok()) {
    ADD_FAILURE() << "CreateFunction: " << created.error().ToString();
    return "";
  }
  return json::parse(created->body, nullptr, false).value("FunctionArn", "");
}

bool LambdaMoto::QueueResponses(const std::vector<std::string>& responses) {
  return PostMotoApi(*moto_, "/moto-api/static/lambda-simple/response",
                     {{"results", responses}, {"region", "us-east-1"}});
}

}  // namespace sluice::testing
