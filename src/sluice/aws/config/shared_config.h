// The shared AWS config and credentials files (~/.aws/config, ~/.aws/credentials), as the AWS
// CLI and SDKs read them: [profile NAME] sections in config, [NAME] in credentials, "#" and ";"
// comments, indented sub-sections (s3 =\n  addressing_style = path) kept as "s3.addressing_style",
// and [services NAME] sections (a profile's "services = NAME" picks one).
// Values in the credentials file win over the config file's for the same profile.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "sluice/util/environment.h"
#include "sluice/util/result.h"

namespace sluice {

struct Profile {
  std::string name;
  std::map<std::string, std::string, std::less<>> values;  // keys lower-cased

  // The value, or nullptr when the key is absent or empty.
  const std::string* Get(std::string_view key) const;
};

class SharedConfig {
 public:
  // Reads AWS_CONFIG_FILE (default ~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE (default
  // ~/.aws/credentials). Missing files are not an error; unreadable ones are.
  static Result<SharedConfig> Load(const Environment& env);
  // Parses file contents (pure; for tests). Malformed lines are skipped, as the SDKs do.
  static SharedConfig Parse(std::string_view config_text, std::string_view credentials_text);

  // The merged profile, or nullptr when neither file has it.
  const Profile* FindProfile(std::string_view name) const;
  // A [services NAME] section: per-service settings keyed "<service config id>.<key>"
  // ("s3.endpoint_url"); nullptr when there is none.
  const Profile* FindServices(std::string_view name) const;

 private:
  std::map<std::string, Profile, std::less<>> profiles_;
  std::map<std::string, Profile, std::less<>> services_;
};

// --profile if given, else AWS_PROFILE, else "default".
std::string SelectedProfileName(const Environment& env, std::string_view flag_value);

// A boolean setting as the SDKs read it, from a file or the environment: "true" in any case.
bool IsTrueSetting(std::string_view value);

}  // namespace sluice
