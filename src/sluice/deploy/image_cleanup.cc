#include "sluice/deploy/image_cleanup.h"

#include <algorithm>
#include <set>

#include "sluice/oci/image_reference.h"

namespace sluice {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The digest `uri` names in its repository's listing: its own, or its tag's; "" when the tag
// is on no image (or the repository was not listed).
std::string Resolve(const EcrImageUri& uri, const std::map<std::string, std::vector<EcrImage>>& repos) {
  if (!uri.digest.empty()) return uri.digest;
  auto listing = repos.find(uri.Key());
  if (listing == repos.end()) return "";
  for (const EcrImage& image : listing->second) {
    if (std::find(image.tags.begin(), image.tags.end(), uri.tag) != image.tags.end()) return image.digest;
  }
  return "";
}

const EcrImage* Find(const std::vector<EcrImage>& listing, const std::string& digest) {
  for (const EcrImage& image : listing) {
    if (image.digest == digest) return &image;
  }
  return nullptr;
}

}  // namespace

std::optional<EcrImageUri> ParseEcrImageUri(std::string_view uri) {
  size_t slash = uri.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  EcrImageUri out;
  out.host = Lower(uri.substr(0, slash));  // host names have no case: ECS and Lambda take either
  auto registry = ParseEcrHost(out.host);
  if (!registry) return std::nullopt;
  out.registry_id = registry->account_id;
  out.region = registry->region;
  std::string_view rest = uri.substr(slash + 1);
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    out.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    // "repo:tag@digest": the digest is what runs; the tag is decoration.
    if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) rest = rest.substr(0, colon);
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    out.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  } else {
    out.tag = "latest";
  }
  if (rest.empty() || (out.digest.empty() && out.tag.empty())) return std::nullopt;
  if (!out.digest.empty() && !out.digest.starts_with("sha256:")) return std::nullopt;
  out.repository = std::string(rest);
  return out;
}

std::string PinnedImage(std::string_view image, std::string_view digest) {
  std::string_view name = image.substr(0, image.find('@'));
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    name = name.substr(0, colon);
  }
  return std::string(name) + "@" + std::string(digest);
}

ImageCleanupPlan PlanImageCleanup(const ImageCleanupInput& input) {
  ImageCleanupPlan plan;
  // Who uses each image, by "repository@digest": the first name found is the reason given.
  std::map<std::string, std::string> used;
  for (const ImageUse& use : input.in_use) {
    auto uri = ParseEcrImageUri(use.uri);
    if (!uri) continue;
    std::string digest = Resolve(*uri, input.repositories);
    if (!digest.empty()) used.emplace(uri->Key() + "@" + digest, use.user);
  }
  std::map<std::string, size_t> planned;  // "repository@digest" -> index in plan.deletions
  std::set<std::string> kept_once;
  auto keep = [&](const std::string& image, const std::string& reason) {
    if (kept_once.insert(image).second) plan.kept.push_back({image, reason});
  };
  for (const ImageUse& use : input.removed) {
    auto uri = ParseEcrImageUri(use.uri);
    if (!uri) {
      keep(use.uri, "not in ECR: left alone");
      continue;
    }
    auto listing = input.repositories.find(uri->Key());
    if (listing == input.repositories.end()) {
      keep(use.uri, "repository " + uri->repository + " not found");
      continue;
    }
    std::string digest = Resolve(*uri, input.repositories);
    const EcrImage* image = digest.empty() ? nullptr : Find(listing->second, digest);
    if (image == nullptr) {
      keep(use.uri, digest.empty() ? "no image is tagged " + uri->tag + " any more"
                                   : "already gone from the repository");
      continue;
    }
    std::string key = uri->Key() + "@" + digest;
    if (auto user = used.find(key); user != used.end()) {
      keep(use.uri, "in use by " + user->second);
      continue;
    }
    std::string protecting;
    for (const std::string& tag : image->tags) {
      for (const Glob& glob : input.protect_tags) {
        if (protecting.empty() && glob.Matches(tag)) {
          protecting = "tag " + tag + " matches --protect-tag " + glob.pattern();
        }
      }
    }
    if (!protecting.empty()) {
      keep(use.uri, protecting);
      continue;
    }
    if (uri->digest.empty()) {
      // Named by tag: the image the tag names now is the one the revision ran only if it was
      // pushed before the revision named it.
      if (!use.named_at) {
        keep(use.uri, "named by tag " + uri->tag + ", which may have moved since " + use.user +
                          " named it (no registration time to tell)");
        continue;
      }
      if (!image->pushed_at || *image->pushed_at > *use.named_at) {
        keep(use.uri, "tag " + uri->tag + " now names an image pushed after " + use.user +
                          " named it");
        continue;
      }
    }
    auto [it, fresh] = planned.emplace(key, plan.deletions.size());
    if (fresh) {
      EcrImageUri repository = *uri;
      repository.tag.clear();
      repository.digest.clear();
      plan.deletions.push_back({repository, digest, image->tags, {}});
    }
    std::vector<std::string>& by = plan.deletions[it->second].removed_by;
    if (std::find(by.begin(), by.end(), use.user) == by.end()) by.push_back(use.user);
  }
  return plan;
}

}  // namespace sluice
