// Which region to talk to, in the AWS CLI's order: --region, AWS_REGION, AWS_DEFAULT_REGION, the
// profile's `region`. Pure: the environment and the profile are inputs.
#pragma once

#include <string>
#include <string_view>

#include "sluice/aws/config/shared_config.h"
#include "sluice/util/environment.h"
#include "sluice/util/result.h"

namespace sluice {

// An error names every place it looked when none has a region.
Result<std::string> ResolveRegion(std::string_view flag, const Environment& env,
                                  const Profile* profile);

// True for names like "us-east-1", "cn-north-1", "us-gov-west-1": letters, digits and dashes.
bool IsValidRegionName(std::string_view region);

}  // namespace sluice
