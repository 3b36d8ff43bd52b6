#include "sluice/aws/config/endpoint.h"

namespace sluice {

namespace {

// The partitions whose endpoints are not under amazonaws.com (botocore's partitions.json),
// matched by region prefix; "us-iso-" does not match "us-isob-" or "us-isof-".
struct Partition {
  std::string_view region_prefix;
  std::string_view dns_suffix;
};
constexpr Partition kPartitions[] = {
    {"cn-", "amazonaws.com.cn"},        // aws-cn
    {"us-iso-", "c2s.ic.gov"},          // aws-iso
    {"us-isob-", "sc2s.sgov.gov"},      // aws-iso-b
    {"us-isof-", "csp.hci.ic.gov"},     // aws-iso-f
    {"eu-isoe-", "cloud.adc-e.uk"},     // aws-iso-e
    {"eusc-", "amazonaws.eu"},          // aws-eusc
};

}  // namespace

std::string PathPrefix(const ResolvedEndpoint& endpoint) {
  std::string_view prefix = endpoint.url.path;
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  return std::string(prefix);
}

std::string_view DnsSuffixForRegion(std::string_view region) {
  for (const Partition& p : kPartitions) {
    if (region.starts_with(p.region_prefix)) return p.dns_suffix;
  }
  return "amazonaws.com";  // aws and aws-us-gov
}

namespace {

Result<ResolvedEndpoint> FromUrl(std::string_view url, std::string source, std::string region) {
  ResolvedEndpoint out;
  if (!ParseUrl(url, &out.url)) {
    return Error::Config("invalid endpoint URL \"" + std::string(url) + "\" from " + source +
                         ": expected http://host[:port] or https://host[:port]");
  }
  out.custom = true;
  out.source = std::move(source);
  out.signing_region = std::move(region);
  return out;
}


}  // namespace

Result<ResolvedEndpoint> ResolveEndpoint(const AwsService& service, std::string_view region,
                                         std::string_view flag_url, const Environment& env,
                                         const Profile* profile, const Profile* services) {
  std::string signing_region = service.global ? "us-east-1" : std::string(region);
  if (!flag_url.empty()) return FromUrl(flag_url, "--endpoint-url", signing_region);

  const std::string* ignore_key =
      profile != nullptr ? profile->Get("ignore_configured_endpoint_urls") : nullptr;
  bool ignore_configured = IsTrueSetting(env.Get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").value_or("")) ||
                           (ignore_key != nullptr && IsTrueSetting(*ignore_key));
  if (!ignore_configured) {
    std::string service_var = "AWS_ENDPOINT_URL_" + std::string(service.env_id);
    if (auto v = env.GetNonEmpty(service_var)) return FromUrl(*v, service_var, signing_region);
    if (auto v = env.GetNonEmpty("AWS_ENDPOINT_URL")) {
      return FromUrl(*v, "AWS_ENDPOINT_URL", signing_region);
    }
    std::string service_key = std::string(service.config_id) + ".endpoint_url";
    if (services != nullptr) {
      if (const std::string* v = services->Get(service_key)) {
        return FromUrl(*v, "[services " + services->name + "] " + service_key, signing_region);
      }
    }
    if (profile != nullptr) {
      if (const std::string* v = profile->Get("endpoint_url")) {
        return FromUrl(*v, "profile " + profile->name + " endpoint_url", signing_region);
      }
    }
  }

  ResolvedEndpoint out;
  out.url.scheme = "https";
  std::string suffix(DnsSuffixForRegion(region));
  out.url.host = service.global
                     ? std::string(service.endpoint_prefix) + "." + suffix
                     : std::string(service.endpoint_prefix) + "." + std::string(region) + "." + suffix;
  out.url.path = "/";
  out.source = "default";
  out.signing_region = signing_region;
  return out;
}

}  // namespace sluice
