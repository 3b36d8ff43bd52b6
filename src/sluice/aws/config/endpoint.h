// Where a service's requests go. Custom endpoints come, in the AWS CLI's order, from
// --endpoint-url, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the service's endpoint_url in
// the [services NAME] section the profile names (services = NAME), and the profile's
// endpoint_url (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
// ignore_configured_endpoint_urls, "true" in any case, ignores all but the flag); otherwise the
// service's AWS endpoint for the region, under its partition's DNS suffix. A custom endpoint's
// path ("http://host:port/prefix") is kept: requests go under it. Pure.
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
  ParsedUrl url;       // scheme, host, port; path is kept as a prefix (gateways under a path)
  bool custom = false;  // true when configured: S3 then uses path-style addressing
  std::string source;   // "--endpoint-url", "AWS_ENDPOINT_URL_S3", "default", ...
  std::string signing_region;  // the region requests are signed for
};

// The path a custom endpoint sits under, without a trailing slash ("" for none): requests
// go, and are signed, under it ("http://gw:9000/s3" + "/bucket/key").
std::string PathPrefix(const ResolvedEndpoint& endpoint);

// The DNS suffix of a region's AWS endpoints, from its partition: "amazonaws.com",
// "amazonaws.com.cn" (cn-*), "c2s.ic.gov" (us-iso-*), "sc2s.sgov.gov" (us-isob-*),
// "csp.hci.ic.gov" (us-isof-*), "cloud.adc-e.uk" (eu-isoe-*), "amazonaws.eu" (eusc-*).
std::string_view DnsSuffixForRegion(std::string_view region);

// `services` is the [services NAME] section the profile names, or null.
Result<ResolvedEndpoint> ResolveEndpoint(const AwsService& service, std::string_view region,
                                         std::string_view flag_url, const Environment& env,
                                         const Profile* profile,
                                         const Profile* services = nullptr);

}  // namespace sluice
