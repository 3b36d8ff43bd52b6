// credential_process: an external program prints credentials as JSON on stdout.
// https://docs.aws.amazon.com/cli/latest/topic/config-vars.html#sourcing-credentials-from-external-processes
#include <nlohmann/json.hpp>

#include "sluice/aws/credentials/credential_sources.h"
#include "sluice/os/subprocess.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {


class ProcessProvider : public CredentialsProvider {
 public:
  ProcessProvider(std::string command, std::string profile, std::chrono::milliseconds timeout)
      : command_(std::move(command)), profile_(std::move(profile)), timeout_(timeout) {}

  Result<Credentials> Resolve() override {
    std::string what = "credential_process of profile " + profile_;
    auto run = RunAndCapture({"/bin/sh", "-c", command_}, {.timeout = timeout_});
    if (!run.ok()) {
      return Error::Credentials(what + " failed: " + run.error().message);
    }
    if (run->exit_code != 0) {
      std::string reason = LastOutputLine(run->err);
      return Error::Credentials(what + " exited with status " + std::to_string(run->exit_code) +
                                (reason.empty() ? "" : ": " + reason));
    }
    auto credentials = ParseProcessCredentials(run->out, what);
    if (!credentials.ok()) {
      return Error::Credentials(credentials.error().message);
    }
    return credentials;
  }
  std::string Name() const override { return "credential_process"; }

 private:
  std::string command_;
  std::string profile_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

Result<Credentials> ParseProcessCredentials(std::string_view output, std::string source) {
  auto json = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    return Error::Parse(source + " printed something that is not a JSON object");
  }
  if (json.value("Version", 0) != 1) {
    return Error::Parse(source + " printed \"Version\": " +
                        (json.contains("Version") ? json["Version"].dump() : "(none)") +
                        "; only version 1 is defined");
  }
  auto text = [&](const char* key) {
    auto it = json.find(key);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  Credentials c;
  c.access_key_id = text("AccessKeyId");
  c.secret_access_key = text("SecretAccessKey");
  c.session_token = text("SessionToken");
  c.source = std::move(source);
  if (c.empty()) return Error::Parse(c.source + " printed no AccessKeyId or SecretAccessKey");
  if (std::string expiration = text("Expiration"); !expiration.empty()) {
    auto when = ParseIso8601(expiration);
    if (!when) return Error::Parse(c.source + " printed an Expiration that is not ISO 8601");
    c.expiration = *when;
  }
  return c;
}

std::shared_ptr<CredentialsProvider> ProcessCredentials(std::string command, std::string profile,
                                                        std::chrono::milliseconds timeout) {
  return std::make_shared<ProcessProvider>(std::move(command), std::move(profile), timeout);
}

}  // namespace sluice
