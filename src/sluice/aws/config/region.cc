#include "sluice/aws/config/region.h"

#include <cctype>

namespace sluice {

bool IsValidRegionName(std::string_view region) {
  if (region.empty() || region.size() > 64) return false;
  for (char c : region) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-')) {
      return false;
    }
  }
  return region.front() != '-' && region.back() != '-';
}

Result<std::string> ResolveRegion(std::string_view flag, const Environment& env,
                                  const Profile* profile) {
  std::string region, from;
  if (!flag.empty()) {
    region = std::string(flag), from = "--region";
  } else if (auto r = env.GetNonEmpty("AWS_REGION")) {
    region = *r, from = "AWS_REGION";
  } else if (auto r = env.GetNonEmpty("AWS_DEFAULT_REGION")) {
    region = *r, from = "AWS_DEFAULT_REGION";
  } else if (profile != nullptr && profile->Get("region") != nullptr) {
    region = *profile->Get("region"), from = "profile " + profile->name;
  } else {
    return Error::Config(
        "no AWS region: pass --region, set AWS_REGION, or add region to the profile in "
        "~/.aws/config");
  }
  if (!IsValidRegionName(region)) {
    return Error::Config("invalid region \"" + region + "\" from " + from +
                         ": expected a name like us-east-1");
  }
  return region;
}

}  // namespace sluice
