// STS over the Query protocol: who am I, and the role calls credential sources need.
#pragma once

#include <memory>
#include <pugixml.hpp>
#include <string>

#include "sluice/aws/credentials/sts_api.h"
#include "sluice/aws/service_client.h"
#include "sluice/util/result.h"

namespace sluice {

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

class StsClient : public StsApi {
 public:
  explicit StsClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}

  Result<CallerIdentity> GetCallerIdentity();
  Result<Credentials> AssumeRole(const AssumeRoleParams& params) override;
  Result<Credentials> AssumeRoleWithWebIdentity(const AssumeRoleParams& params) override;

 private:
  std::shared_ptr<ServiceClient> client_;
};

// Reads <Credentials> (AccessKeyId, SecretAccessKey, SessionToken, Expiration) from an
// AssumeRole* result (pure; for tests).
Result<Credentials> ParseStsCredentials(const pugi::xml_node& result, std::string source);

}  // namespace sluice
