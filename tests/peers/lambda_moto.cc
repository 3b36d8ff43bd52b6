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
  auto lambda = ServiceClient::Make(moto.Context(), kLambda);
  if (!iam.ok() || !lambda.ok()) {
    ADD_FAILURE() << "no IAM or Lambda client for moto";
    return false;
  }
  std::string role = name + "-role";
  auto created_role = CallQuery(**iam, "CreateRole", "2010-05-08",
                                {{"RoleName", role}, {"AssumeRolePolicyDocument", "{}"}});
  if (!created_role.ok()) {
    ADD_FAILURE() << "CreateRole: " << created_role.error().ToString();
    return false;
  }
  HttpRequest request;
  request.method = "POST";
  request.path = "/2015-03-31/functions";
  request.headers = {{"content-type", "application/json"}};
  request.body = json{{"FunctionName", name},
                      {"Runtime", "python3.11"},
                      {"Role", "arn:aws:iam::" + moto.account_id() + ":role/" + role},
                      {"Handler", "handler.handle"},
                      {"Code", {{"ZipFile", kEmptyZipBase64}}}}
                     .dump();
  auto created = (*lambda)->Call("CreateFunction", std::move(request));
  if (!created.ok()) {
    ADD_FAILURE() << "CreateFunction: " << created.error().ToString();
    return false;
  }
  arn_ = json::parse(created->body, nullptr, false).value("FunctionArn", "");
  return !arn_.empty();
}

bool LambdaMoto::QueueResponses(const std::vector<std::string>& responses) {
  return PostMotoApi(*moto_, "/moto-api/static/lambda-simple/response",
                     {{"results", responses}, {"region", "us-east-1"}});
}

}  // namespace sluice::testing
