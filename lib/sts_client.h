// STS over the Query protocol: who am I, and the role calls credential sources need.
#pragma once

#include <memory>
#include <pugixml.hpp>
#include <string>

#include "lib/result.h"
#include "lib/service_client.h"
#include "lib/sts_api.h"

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
