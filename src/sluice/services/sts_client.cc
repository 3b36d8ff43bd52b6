#include "sluice/services/sts_client.h"

#include "sluice/aws/query_protocol.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {
constexpr std::string_view kStsVersion = "2011-06-15";

QueryParams RoleParams(const AssumeRoleParams& params) {
  QueryParams q{{"RoleArn", params.role_arn}, {"RoleSessionName", params.role_session_name}};
  if (params.duration_seconds > 0) {
    q.emplace_back("DurationSeconds", std::to_string(params.duration_seconds));
  }
  return q;
}
}  // namespace

Result<Credentials> ParseStsCredentials(const pugi::xml_node& result, std::string source) {
  pugi::xml_node c = result.child("Credentials");
  Credentials out;
  out.access_key_id = c.child_value("AccessKeyId");
  out.secret_access_key = c.child_value("SecretAccessKey");
  out.session_token = c.child_value("SessionToken");
  out.source = std::move(source);
  if (auto expiration = ParseIso8601(c.child_value("Expiration"))) out.expiration = *expiration;
  if (out.empty()) return Error::Parse("STS response has no credentials");
  return out;
}

Result<CallerIdentity> StsClient::GetCallerIdentity() {
  auto doc = CallQuery(*client_, "GetCallerIdentity", kStsVersion, {});
  if (!doc.ok()) return doc.error();
  pugi::xml_node result = QueryResult(**doc, "GetCallerIdentity");
  CallerIdentity id{result.child_value("Account"), result.child_value("Arn"),
                    result.child_value("UserId")};
  if (id.arn.empty()) return Error::Parse("GetCallerIdentity response has no Arn");
  return id;
}

Result<Credentials> StsClient::AssumeRole(const AssumeRoleParams& params) {
  QueryParams q = RoleParams(params);
  if (!params.external_id.empty()) q.emplace_back("ExternalId", params.external_id);
  auto doc = CallQuery(*client_, "AssumeRole", kStsVersion, q);
  if (!doc.ok()) return doc.error();
  return ParseStsCredentials(QueryResult(**doc, "AssumeRole"), "assume-role " + params.role_arn);
}

Result<Credentials> StsClient::AssumeRoleWithWebIdentity(const AssumeRoleParams& params) {
  QueryParams q = RoleParams(params);
  q.emplace_back("WebIdentityToken", params.web_identity_token);
  CallOptions options;
  options.unsigned_request = true;
  auto doc = CallQuery(*client_, "AssumeRoleWithWebIdentity", kStsVersion, q, options);
  if (!doc.ok()) return doc.error();
  return ParseStsCredentials(QueryResult(**doc, "AssumeRoleWithWebIdentity"),
                             "web-identity " + params.role_arn);
}

}  // namespace sluice
