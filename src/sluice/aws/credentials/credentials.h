// AWS credentials and the interface every credential source implements. The sources live one
// per file (credentials_<source>.cc); credentials_chain.h puts them in the SDKs' order.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "sluice/util/clock.h"
#include "sluice/util/result.h"

namespace sluice {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;            // empty for long-term keys
  std::optional<SystemTime> expiration;  // set for temporary credentials
  std::string source;                    // where they came from, for messages: "environment", ...

  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Fetches credentials. Thread-safe. A provider that has nothing to offer (its variables are
  // unset, its file has no such profile) returns an Error of kind kCredentials whose message
  // says what it looked for, so the chain can list what was tried.
  virtual Result<Credentials> Resolve() = 0;
  virtual std::string Name() const = 0;
};

// Always returns the same credentials (from flags, or for tests).
std::shared_ptr<CredentialsProvider> StaticCredentials(Credentials credentials);

}  // namespace sluice
