// Clean-up tied to what runs: after a deploy (or on its own, from a schedule), remove old task
// definition revisions or Lambda versions and, with --delete-images, the ECR images only they
// named. Before anything is deleted from ECR, the clean-up finds what is in use (see
// image_cleanup.h for the rule):
//   - ECS: the family's revisions that stay ACTIVE; in the cluster, every service's deployments
//     and the ACTIVE revisions of their families; every task whose desired status is RUNNING
//     (its revision and the digests ECS pulled for it);
//   - Lambda: every version that stays ($LATEST included), by the digest it runs;
//   - and for each --in-use-by ecs:CLUSTER or lambda:FUNCTION, the same for that one.
// When any of that cannot be read, no image is deleted: not knowing what runs is not a licence.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sluice/services/ecr_client.h"
#include "sluice/services/ecs_client.h"
#include "sluice/services/lambda_client.h"
#include "sluice/util/glob.h"
#include "sluice/util/result.h"

namespace sluice {

struct ImageCleanupOptions {
  bool delete_images = false;
  std::vector<Glob> protect_tags;      // --protect-tag: an image with a matching tag stays
  std::vector<std::string> in_use_by;  // --in-use-by: "ecs:CLUSTER" or "lambda:FUNCTION"
};

// An error message for a --in-use-by that is neither "ecs:CLUSTER" nor "lambda:FUNCTION".
std::optional<std::string> CheckInUseBy(const std::string& spec);

struct CleanupOptions {
  int keep = 0;  // the newest revisions (versions) kept; 0 removes none
  ImageCleanupOptions images;
  bool dry_run = false;  // report what would go; remove nothing
};

struct CleanupDeps {
  EcsClient* ecs = nullptr;        // ECS clean-ups and --in-use-by ecs:
  LambdaClient* lambda = nullptr;  // Lambda clean-ups and --in-use-by lambda:
  // The ECR API of a region (an image's registry names its region), made once per region.
  std::function<Result<EcrClient*>(const std::string& region)> ecr;
  std::function<void(const std::string&)> log;
  // Asked before each deletion: true stops the clean-up there (what is done stays done).
  std::function<bool()> interrupted = [] { return false; };
};

// What a clean-up did, as result-line fields: "deregistered" (ECS) or "deleted_versions"
// (Lambda); with delete_images, "deleted_images" [{"image": "HOST/REPO@DIGEST", "tags": [...]}]
// and "kept_images" [{"image", "reason"}]; "cleanup_error" when a step failed.
struct CleanupReport {
  nlohmann::json fields = nlohmann::json::object();
  bool ok = true;  // false: cleanup_error says what failed
  bool interrupted = false;
};

// The family's ACTIVE revisions beyond the newest `keep`, except `protect` (the service's current
// and rollback revisions) and any a service deployment or running task of `cluster` uses.
CleanupReport CleanUpEcsFamily(const CleanupOptions& options, const CleanupDeps& deps,
                               const std::string& cluster, const std::string& family,
                               const std::vector<std::string>& protect);

// The function's numbered versions beyond the newest `keep` that no alias routes to (weighted
// aliases too), except `protect` (the version just published).
CleanupReport CleanUpLambdaVersions(const CleanupOptions& options, const CleanupDeps& deps,
                                    const std::string& function, const std::string& protect);

// sluice-deploy --clean-up, without a deploy: for a service (its current revision and the one
// before it, the rollback target, kept), or a family alone (--family, for tasks that
// sluice-trigger or sluice-run-once start), or a function. One result line:
//   {"cluster", "service", "family" | "function", "status", "deregistered" | "deleted_versions",
//    "deleted_images", "kept_images", "seconds", "error"}
// status: cleaned | dry_run | failed | interrupted. Exit 0, 1 when any step failed, 130 when
// interrupted.
int RunEcsCleanUp(const CleanupOptions& options, const CleanupDeps& deps, const std::string& cluster,
                  const std::string& service, std::string family,
                  const std::function<bool(const nlohmann::json&)>& emit);
int RunLambdaCleanUp(const CleanupOptions& options, const CleanupDeps& deps,
                     const std::string& function,
                     const std::function<bool(const nlohmann::json&)>& emit);

// The versions --keep-versions N deletes (pure): numbered ones, oldest first, beyond the newest
// N, never one an alias names, never `keep` (the one just published).
std::vector<std::string> VersionsToDelete(const std::vector<std::string>& versions,
                                          const std::vector<std::string>& aliased, int keep_newest,
                                          const std::string& keep);

// "web:7" for "arn:aws:ecs:…:task-definition/web:7" (pure).
std::string ShortRevision(const std::string& arn);

}  // namespace sluice
