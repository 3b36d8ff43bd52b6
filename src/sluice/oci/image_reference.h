// Image names as users write them on the command line: sluice-push's DEST
// ("HOST/REPO[:TAG]") and its SOURCE ("oci:DIR[:TAG]", "docker-archive:FILE[:REF]",
// "oci-archive:FILE[:TAG]"), and how an ECR registry host is recognised. Pure parsing, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sluice/util/result.h"

namespace sluice {

// A push destination. The registry host is required: an implicit Docker Hub is a surprise
// nobody wants in CI, so "docker.io/..." must be spelt out.
struct ImageReference {
  std::string host;        // "123456789012.dkr.ecr.us-east-1.amazonaws.com", "127.0.0.1:5000"
  std::string repository;  // "team/app" (Docker Hub's single names become "library/NAME")
  std::string tag;         // "latest" when none was given

  std::string Name() const { return host + "/" + repository; }   // without the tag
  std::string ToString() const { return Name() + ":" + tag; }
};

// Parses DEST. Errors are Error::InvalidArgument with a message that says what is wrong.
Result<ImageReference> ParseImageReference(std::string_view text);

// True for a tag as the distribution spec allows: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool IsValidTag(std::string_view tag);

// An ECR registry, recognised from its host name:
// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn] and the dual-stack
// <account>.dkr-ecr[-fips].<region>.on.aws.
struct EcrRegistry {
  std::string account_id;
  std::string region;
  bool fips = false;
};
std::optional<EcrRegistry> ParseEcrHost(std::string_view host);

// The registry's API address for a host: https://HOST, except Docker Hub, whose API lives at
// registry-1.docker.io.
std::string DefaultRegistryEndpoint(std::string_view host);

enum class SourceKind { kOciLayout, kOciArchive, kDockerArchive };

struct SourceSpec {
  SourceKind kind = SourceKind::kOciLayout;
  std::string path;       // the directory or archive
  std::string reference;  // the tag (oci) or repo:tag (docker-archive) to pick; empty: the only one
};

// Parses SOURCE: "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]", "docker-archive:FILE[:REPO:TAG]".
// The first ':' after the path starts the reference, as in skopeo's transports.
Result<SourceSpec> ParseSourceSpec(std::string_view text);

}  // namespace sluice
