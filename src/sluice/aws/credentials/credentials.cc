#include "sluice/aws/credentials/credentials.h"

#include "sluice/aws/credentials/credential_sources.h"

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

class FailingProvider : public CredentialsProvider {
 public:
  FailingProvider(Error error, std::string name) : error_(std::move(error)), name_(std::move(name)) {}
  Result<Credentials> Resolve() override { return error_; }
  std::string Name() const override { return name_; }

 private:
  Error error_;
  std::string name_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> FailingCredentials(Error error, std::string name) {
  return std::make_shared<FailingProvider>(std::move(error), std::move(name));
}

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
