#include "sluice/aws/config/endpoint.h"

namespace sluice {

std::string_view DnsSuffixForRegion(std::string_view region) {
  return region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
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

bool IsTrue(const std::optional<std::string>& v) {
  return v && (*v == "true" || *v == "TRUE" || *v == "True" || *v == "1");
}

}  // namespace

Result<ResolvedEndpoint> ResolveEndpoint(const AwsService& service, std::string_view region,
                                         std::string_view flag_url, const Environment& env,
                                         const Profile* profile) {
  std::string signing_region = service.global ? "us-east-1" : std::string(region);
  if (!flag_url.empty()) return FromUrl(flag_url, "--endpoint-url", signing_region);

  bool ignore_configured = IsTrue(env.Get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) ||
                           (profile != nullptr && profile->Get("ignore_configure_endpoint_urls") &&
                            *profile->Get("ignore_configure_endpoint_urls") == "true");
  if (!ignore_configured) {
    std::string service_var = "AWS_ENDPOINT_URL_" + std::string(service.env_id);
    if (auto v = env.GetNonEmpty(service_var)) return FromUrl(*v, service_var, signing_region);
    if (auto v = env.GetNonEmpty("AWS_ENDPOINT_URL")) {
      return FromUrl(*v, "AWS_ENDPOINT_URL", signing_region);
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
