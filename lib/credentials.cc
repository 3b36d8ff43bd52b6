#include "lib/credentials.h"

#include "lib/credential_sources.h"

namespace sluice {
namespace {

class StaticProvider : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials credentials) : credentials_(std::move(credentials)) {
    if (credentials_.source.empty()) credentials_.source = "static credentials";
  }
  Result<Credentials> Resolve() override { return credentials_; }
  std::string Name() const override { return credentials_.source; }

 private:
  Credentials credentials_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> StaticCredentials(Credentials credentials) {
  return std::make_shared<StaticProvider>(std::move(credentials));
}

Error NotConfigured(std::string what_was_looked_for) {
  return Error::Credentials(std::string(kNotConfiguredPrefix) + std::move(what_was_looked_for));
}

bool IsNotConfigured(const Error& error) {
  return error.kind == ErrorKind::kCredentials && error.message.starts_with(kNotConfiguredPrefix);
}

}  // namespace sluice
