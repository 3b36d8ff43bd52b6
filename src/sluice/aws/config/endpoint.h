// Where a service's requests go. Custom endpoints come, in the AWS CLI's order, from
// --endpoint-url, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL and the profile's endpoint_url
// (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores all but the
// flag); otherwise the service's AWS endpoint for the region. Pure.
#pragma once

#include <string>
#include <string_view>

#include "sluice/aws/config/aws_service.h"
#include "sluice/aws/config/shared_config.h"
#include "sluice/util/environment.h"
#include "sluice/util/result.h"
#include "sluice/util/uri.h"

namespace sluice {

struct ResolvedEndpoint {
  ParsedUrl url;       // scheme, host, port; path is kept as a prefix (rarely used)
  bool custom = false;  // true when configured: S3 then uses path-style addressing
  std::string source;   // "--endpoint-url", "AWS_ENDPOINT_URL_S3", "default", ...
  std::string signing_region;  // the region requests are signed for
};

// The DNS suffix of a region's AWS endpoints: "amazonaws.com", or "amazonaws.com.cn" for China.
std::string_view DnsSuffixForRegion(std::string_view region);

Result<ResolvedEndpoint> ResolveEndpoint(const AwsService& service, std::string_view region,
                                         std::string_view flag_url, const Environment& env,
                                         const Profile* profile);

}  // namespace sluice
