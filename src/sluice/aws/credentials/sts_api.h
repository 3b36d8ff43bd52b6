// The two STS calls credential sources need, as an interface so the sources are tested without
// STS. StsClient (sts_client.h) implements it against the real service.
#pragma once

#include <string>

#include "sluice/aws/credentials/credentials.h"

namespace sluice {

struct AssumeRoleParams {
  std::string role_arn;
  std::string role_session_name;
  std::string external_id;         // AssumeRole only; optional
  int duration_seconds = 0;        // 0: the service default (1 hour)
  std::string web_identity_token;  // AssumeRoleWithWebIdentity only
};

class StsApi {
 public:
  virtual ~StsApi() = default;
  // Signed with the caller's credentials.
  virtual Result<Credentials> AssumeRole(const AssumeRoleParams& params) = 0;
  // Unsigned: the web identity token is the proof.
  virtual Result<Credentials> AssumeRoleWithWebIdentity(const AssumeRoleParams& params) = 0;
};

}  // namespace sluice
