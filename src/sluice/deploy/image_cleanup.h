// Which ECR images a clean-up may delete (pure, no I/O). The rule: an image goes only when
// something the clean-up removes (a deregistered task definition revision, a deleted Lambda
// version) named it, nothing that stays or runs names it (a kept revision, the service's current
// or rollback revision, a running task, a remaining Lambda version, whatever --in-use-by adds),
// and none of its tags matches --protect-tag. Names are compared by digest, as ECR stores them:
// a tag is resolved with the repository's listing, so "app:v1" and "app@sha256:…" of the same
// image are one image, and a running task's own digest (what ECS pulled, whatever the tag names
// now) counts as well.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/services/ecr_client.h"
#include "sluice/util/clock.h"
#include "sluice/util/glob.h"

namespace sluice {

// An image URI in an ECR registry, split.
struct EcrImageUri {
  std::string host;         // "123456789012.dkr.ecr.us-east-1.amazonaws.com", lower case
  std::string registry_id;  // "123456789012"
  std::string region;
  std::string repository;   // "team/app"
  std::string tag;          // one of tag and digest (a URI with both is pinned by the digest)
  std::string digest;       // "sha256:…"

  std::string Repository() const { return host + "/" + repository; }
  // Which repository, whatever host name (dual-stack, FIPS, any case) the URI reached it by.
  std::string Key() const { return registry_id + ":" + region + ":" + repository; }
};
// nullopt for an image that is not in ECR (Docker Hub, a private registry): never deleted.
std::optional<EcrImageUri> ParseEcrImageUri(std::string_view uri);

// "HOST/REPO@DIGEST" for an image as a task definition names it and the digest ECS resolved it
// to (DescribeTasks' containers[].image and imageDigest).
std::string PinnedImage(std::string_view image, std::string_view digest);

// An image and who names it, for the reasons a clean-up gives: "revision web:7",
// "task …/abc (web:3)", "lambda resize:4".
struct ImageUse {
  std::string uri;
  std::string user;
  // When the user named it (a revision's registeredAt), for a removed one named by tag: the tag
  // may have moved since to an image it never ran, which is deleted only when it was pushed
  // before that. Unknown: an image named by tag is kept.
  std::optional<SystemTime> named_at;
};

struct ImageCleanupInput {
  std::vector<ImageUse> removed;  // the images of what this clean-up removed
  std::vector<ImageUse> in_use;   // the images of everything that stays or runs
  std::vector<Glob> protect_tags;
  // Each repository `removed` names (by EcrImageUri::Key()), as DescribeImages lists it; a
  // repository missing from the map does not exist.
  std::map<std::string, std::vector<EcrImage>> repositories;
};

struct ImageToDelete {
  EcrImageUri repository;  // registry, region and repository; no tag, no digest
  std::string digest;
  std::vector<std::string> tags;        // deleted with it
  std::vector<std::string> removed_by;  // the users in `removed` that named it
  std::string Uri() const { return repository.Repository() + "@" + digest; }
};

struct ImageKept {
  std::string image;   // as `removed` named it
  std::string reason;  // "in use by revision web:7", "tag release-1 matches --protect-tag release-*"
};

struct ImageCleanupPlan {
  std::vector<ImageToDelete> deletions;  // one per digest, in the order `removed` named them
  std::vector<ImageKept> kept;           // one per image of `removed` that stays, and why
};

ImageCleanupPlan PlanImageCleanup(const ImageCleanupInput& input);

}  // namespace sluice
