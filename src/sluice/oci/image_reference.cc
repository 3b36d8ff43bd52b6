#include "sluice/oci/image_reference.h"

#include <regex>

namespace sluice {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component of a repository name: lower-case alphanumerics joined by '.', '_', '__'
// or runs of '-' (the distribution spec's grammar).
bool IsValidComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  for (size_t i = 0; i < c.size(); ++i) {
    if (IsLowerAlnum(c[i])) continue;
    if (c[i] == '-' && (IsLowerAlnum(c[i + 1]) || c[i + 1] == '-')) continue;
    if (c[i] == '.' && IsLowerAlnum(c[i + 1])) continue;
    if (c[i] == '_' && (IsLowerAlnum(c[i + 1]) || (c[i + 1] == '_' && IsLowerAlnum(c[i + 2])))) {
      if (c[i + 1] == '_') ++i;
      continue;
    }
    return false;
  }
  return true;
}

bool LooksLikeHost(std::string_view first) {
  return first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
         first == "localhost";
}

bool IsValidHost(std::string_view host) {
  static const std::regex kHost(R"(^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?$)");
  return std::regex_match(host.begin(), host.end(), kHost);
}

}  // namespace

bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (!word(tag.front())) return false;
  for (char c : tag) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

Result<ImageReference> ParseImageReference(std::string_view text) {
  std::string shown(text);
  if (text.empty()) return Error::InvalidArgument("the destination is empty: give HOST/REPO:TAG");
  if (text.find("://") != std::string_view::npos) {
    return Error::InvalidArgument("destination '" + shown +
                                  "' is a URL: give HOST/REPO:TAG (use --registry-endpoint for "
                                  "the registry's address)");
  }
  if (text.find('@') != std::string_view::npos) {
    return Error::InvalidArgument("destination '" + shown +
                                  "' names a digest: sluice-push pushes to a tag, HOST/REPO:TAG");
  }
  size_t slash = text.find('/');
  if (slash == std::string_view::npos || !LooksLikeHost(text.substr(0, slash))) {
    return Error::InvalidArgument("destination '" + shown +
                                  "' has no registry host: give HOST/REPO:TAG, e.g. "
                                  "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1 or "
                                  "docker.io/user/app:v1");
  }
  ImageReference ref;
  ref.host = std::string(text.substr(0, slash));
  if (!IsValidHost(ref.host)) {
    return Error::InvalidArgument("destination '" + shown + "': '" + ref.host +
                                  "' is not a valid registry host[:port]");
  }
  std::string_view rest = text.substr(slash + 1);
  // The tag follows the last ':' of the part after the host (a host may carry a port).
  size_t colon = rest.rfind(':');
  std::string_view repository = rest;
  if (colon != std::string_view::npos) {
    repository = rest.substr(0, colon);
    ref.tag = std::string(rest.substr(colon + 1));
    if (!IsValidTag(ref.tag)) {
      return Error::InvalidArgument("destination '" + shown + "': tag '" + ref.tag +
                                    "' is not valid (letters, digits, '_', '.', '-'; at most 128; "
                                    "not starting with '.' or '-')");
    }
  } else {
    ref.tag = "latest";
  }
  if (repository.empty()) {
    return Error::InvalidArgument("destination '" + shown + "' has no repository name");
  }
  size_t start = 0;
  while (true) {
    size_t end = repository.find('/', start);
    std::string_view component = repository.substr(start, end - start);
    if (!IsValidComponent(component)) {
      return Error::InvalidArgument(
          "destination '" + shown + "': repository '" + std::string(repository) +
          "' is not valid (lower-case letters and digits, separated by '/', '.', '_' or '-')");
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  ref.repository = std::string(repository);
  if (ref.repository.size() > 255) {
    return Error::InvalidArgument("destination '" + shown + "': the repository name is over 255 characters");
  }
  if ((ref.host == "docker.io" || ref.host == "index.docker.io") &&
      ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  return ref;
}

std::optional<EcrRegistry> ParseEcrHost(std::string_view host) {
  static const std::regex kEcr(
      R"(^([0-9]{12})\.dkr[.-]ecr(-fips)?\.([a-z0-9-]+)\.(amazonaws\.com|amazonaws\.com\.cn|on\.aws|c2s\.ic\.gov|sc2s\.sgov\.gov)$)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(host.begin(), host.end(), m, kEcr)) return std::nullopt;
  // "dkr-ecr" is only the dual-stack (on.aws) form, "dkr.ecr" only the others.
  bool dual_stack = m[4].str() == "on.aws";
  bool dashed = host.substr(m[1].length() + 1, 7) == "dkr-ecr";
  if (dual_stack != dashed) return std::nullopt;
  return EcrRegistry{m[1].str(), m[3].str(), m[2].matched};
}

std::string DefaultRegistryEndpoint(std::string_view host) {
  if (host == "docker.io" || host == "index.docker.io") return "https://registry-1.docker.io";
  return "https://" + std::string(host);
}

Result<SourceSpec> ParseSourceSpec(std::string_view text) {
  struct Prefix {
    std::string_view name;
    SourceKind kind;
  };
  static constexpr Prefix kPrefixes[] = {{"oci:", SourceKind::kOciLayout},
                                         {"oci-archive:", SourceKind::kOciArchive},
                                         {"docker-archive:", SourceKind::kDockerArchive}};
  for (const Prefix& prefix : kPrefixes) {
    if (text.substr(0, prefix.name.size()) != prefix.name) continue;
    std::string_view rest = text.substr(prefix.name.size());
    SourceSpec spec;
    spec.kind = prefix.kind;
    size_t colon = rest.find(':');
    spec.path = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) spec.reference = std::string(rest.substr(colon + 1));
    if (spec.path.empty()) {
      return Error::InvalidArgument("source '" + std::string(text) + "' has no path after '" +
                                    std::string(prefix.name) + "'");
    }
    if (colon != std::string_view::npos && spec.reference.empty()) {
      return Error::InvalidArgument("source '" + std::string(text) + "' ends with ':' but names no tag");
    }
    if (spec.kind != SourceKind::kDockerArchive && !spec.reference.empty() &&
        !IsValidTag(spec.reference)) {
      return Error::InvalidArgument("source '" + std::string(text) + "': '" + spec.reference +
                                    "' is not a valid tag");
    }
    return spec;
  }
  return Error::InvalidArgument(
      "source '" + std::string(text) +
      "' has no known transport: give oci:DIR[:TAG], oci-archive:FILE[:TAG] or "
      "docker-archive:FILE (from docker save)");
}

}  // namespace sluice
