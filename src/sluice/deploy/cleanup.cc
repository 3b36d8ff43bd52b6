#include "sluice/deploy/cleanup.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "sluice/deploy/image_cleanup.h"
#include "sluice/util/exit_codes.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

using nlohmann::json;

std::string FamilyOf(const std::string& arn) {
  std::string short_name = ShortRevision(arn);
  return short_name.substr(0, short_name.rfind(':'));
}

// Digits only, and few enough for a long.
bool IsNumber(const std::string& s) {
  return !s.empty() && s.size() < 16 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string TaskId(const std::string& arn) { return arn.substr(arn.rfind('/') + 1); }

// Everything that stays or runs, as image uses. Each reader appends to `uses`; an Error means
// the picture is incomplete and no image may be deleted.
class InUse {
 public:
  explicit InUse(const CleanupDeps& deps) : deps_(deps) {}

  std::vector<ImageUse> uses;

  // The images of one task definition revision (memoised: services share revisions), and when
  // it was registered (ECS's registeredAt; absent from some emulators).
  struct Revision {
    std::vector<std::string> images;
    std::optional<SystemTime> registered_at;
  };
  Result<Revision> DescribeRevision(const std::string& arn) {
    if (auto it = revisions_.find(arn); it != revisions_.end()) return it->second;
    auto definition = deps_.ecs->DescribeTaskDefinition(arn);
    if (!definition.ok()) return definition.error();
    Revision revision;
    for (const json& c : definition->value("containerDefinitions", json::array())) {
      if (c.is_object() && c.value("image", json()).is_string()) revision.images.push_back(c["image"]);
    }
    if (auto at = definition->find("registeredAt"); at != definition->end() && at->is_number()) {
      revision.registered_at = FromEpochSeconds(at->get<double>());
    }
    revisions_[arn] = revision;
    return revision;
  }

  Status AddRevision(const std::string& arn, const std::string& user) {
    if (!added_revisions_.insert(arn).second) return Status::Ok();
    auto revision = DescribeRevision(arn);
    if (!revision.ok()) return revision.error();
    for (const std::string& image : revision->images) uses.push_back({image, user, std::nullopt});
    return Status::Ok();
  }

  // The family's ACTIVE revisions, except the ones this clean-up removes (listed now, so that a
  // revision registered while the clean-up ran counts).
  Status AddFamily(const std::string& family) {
    if (!added_families_.insert(family).second) return Status::Ok();
    auto revisions = deps_.ecs->ListActiveRevisions(family);
    if (!revisions.ok()) return revisions.error();
    for (const std::string& arn : *revisions) {
      if (excluded_.count(arn)) continue;
      if (Status s = AddRevision(arn, "revision " + ShortRevision(arn)); !s.ok()) return s;
    }
    return Status::Ok();
  }
  void Exclude(const std::string& arn) { excluded_.insert(arn); }

  // What runs in a cluster: the revisions its services deploy and its tasks run (ARN -> who),
  // the services' families, and the digests ECS pulled for the tasks.
  struct ClusterScan {
    std::map<std::string, std::string> revisions;
    std::set<std::string> families;
    std::vector<ImageUse> pulled;
  };
  Result<ClusterScan> ScanCluster(const std::string& cluster) {
    ClusterScan scan;
    auto services = deps_.ecs->ListServices(cluster);
    if (!services.ok()) return services.error();
    for (size_t begin = 0; begin < services->size(); begin += 10) {
      std::vector<std::string> batch(services->begin() + begin,
                                     services->begin() + std::min(services->size(), begin + 10));
      auto described = deps_.ecs->DescribeServices(cluster, batch);
      if (!described.ok()) return described.error();
      for (const json& service : *described) {
        std::string name = service.value("serviceName", "?");
        std::vector<std::string> arns;
        if (service.value("taskDefinition", json()).is_string()) arns.push_back(service["taskDefinition"]);
        // Deployments, and the task sets of CODE_DEPLOY and EXTERNAL services (a blue/green
        // standby set scaled to 0 runs nothing, but is a rollback target).
        for (const char* list : {"deployments", "taskSets"}) {
          for (const json& d : service.value(list, json::array())) {
            if (d.is_object() && d.value("taskDefinition", json()).is_string()) arns.push_back(d["taskDefinition"]);
          }
        }
        for (const std::string& arn : arns) {
          scan.revisions.emplace(arn, "service " + name);
          scan.families.insert(FamilyOf(arn));
        }
      }
    }
    auto tasks = deps_.ecs->ListRunningTasks(cluster);
    if (!tasks.ok()) return tasks.error();
    for (size_t begin = 0; begin < tasks->size(); begin += 100) {
      std::vector<std::string> batch(tasks->begin() + begin,
                                     tasks->begin() + std::min(tasks->size(), begin + 100));
      auto described = deps_.ecs->DescribeTasks(cluster, batch);
      if (!described.ok()) return described.error();
      // A task that stopped since the listing is MISSING; any other failure hides one that runs.
      for (const EcsFailure& f : described->failures) {
        if (f.reason != "MISSING") {
          return Error::InvalidArgument("DescribeTasks could not describe " + f.arn + ": " + f.reason);
        }
      }
      for (const EcsTask& task : described->tasks) {
        std::string user = "task " + TaskId(task.arn) + " (" + ShortRevision(task.task_definition_arn) + ")";
        if (!task.task_definition_arn.empty()) scan.revisions.emplace(task.task_definition_arn, user);
        for (const EcsContainer& c : task.containers) {
          if (!c.image.empty() && !c.image_digest.empty()) {
            scan.pulled.push_back({PinnedImage(c.image, c.image_digest), user});
          }
        }
      }
    }
    return scan;
  }

  // The images of a scanned cluster: its revisions', its services' families' (ACTIVE ones,
  // rollback targets included) and its tasks' pulled digests.
  Status AddCluster(const ClusterScan& scan) {
    for (const auto& [arn, user] : scan.revisions) {
      if (Status s = AddRevision(arn, user); !s.ok()) return s;
    }
    for (const std::string& family : scan.families) {
      if (Status s = AddFamily(family); !s.ok()) return s;
    }
    uses.insert(uses.end(), scan.pulled.begin(), scan.pulled.end());
    return Status::Ok();
  }

  // The image of each of the function's versions, skipping `except`.
  Status AddFunctionVersions(const std::string& function, const std::vector<std::string>& versions,
                             const std::set<std::string>& except) {
    for (const std::string& version : versions) {
      if (except.count(version)) continue;
      auto image = deps_.lambda->FunctionImageByDigest(function, version);
      if (!image.ok()) return image.error();
      if (!image->empty()) uses.push_back({*image, "lambda " + function + ":" + version});
    }
    return Status::Ok();
  }

  Status AddFunction(const std::string& function) {
    auto versions = deps_.lambda->ListVersions(function);
    if (!versions.ok()) return versions.error();
    std::vector<std::string> numbers;
    for (const auto& v : *versions) numbers.push_back(v.version);
    return AddFunctionVersions(function, numbers, {});
  }

  // --in-use-by.
  Status AddOthers(const std::vector<std::string>& specs) {
    for (const std::string& spec : specs) {
      Status s = Status::Ok();
      if (spec.starts_with("ecs:")) {
        if (deps_.ecs == nullptr) return Error::InvalidArgument("--in-use-by " + spec + ": no ECS client");
        auto scan = ScanCluster(spec.substr(4));
        s = scan.ok() ? AddCluster(*scan) : Status(scan.error());
      } else if (spec.starts_with("lambda:")) {
        if (deps_.lambda == nullptr) return Error::InvalidArgument("--in-use-by " + spec + ": no Lambda client");
        s = AddFunction(spec.substr(7));
      }
      if (!s.ok()) return Error::InvalidArgument("--in-use-by " + spec + ": " + s.error().ToString());
    }
    return Status::Ok();
  }

 private:
  const CleanupDeps& deps_;
  std::map<std::string, Revision> revisions_;
  std::set<std::string> added_revisions_, added_families_, excluded_;
};

// True (and the report says so) when a signal asked the clean-up to stop.
bool StopHere(CleanupReport& report, const CleanupDeps& deps) {
  if (report.interrupted || !deps.interrupted()) return report.interrupted;
  report.interrupted = true;
  report.fields["cleanup_error"] = "interrupted: the rest of the clean-up was not done";
  deps.log("clean-up: interrupted; what was removed stays removed, the rest was not done");
  return true;
}

void SetError(CleanupReport& report, const std::string& error, const CleanupDeps& deps) {
  report.ok = false;
  report.fields["cleanup_error"] = error;
  deps.log("clean-up: " + error);
}

// Lists the repositories `removed` names, plans, and deletes (unless dry-run).
void DeleteImages(const CleanupOptions& options, const CleanupDeps& deps,
                  const std::vector<ImageUse>& removed, const std::vector<ImageUse>& in_use,
                  CleanupReport& report) {
  ImageCleanupInput input;
  input.removed = removed;
  input.in_use = in_use;
  input.protect_tags = options.images.protect_tags;
  std::map<std::string, EcrImageUri> repositories;
  for (const ImageUse& use : removed) {
    if (auto uri = ParseEcrImageUri(use.uri)) repositories.emplace(uri->Key(), *uri);
  }
  for (const auto& [key, uri] : repositories) {
    auto ecr = deps.ecr(uri.region);
    if (!ecr.ok()) return SetError(report, "ECR in " + uri.region + ": " + ecr.error().ToString(), deps);
    auto listing = (*ecr)->DescribeImages(uri.registry_id, uri.repository);
    if (!listing.ok()) {
      if (listing.error().code == "RepositoryNotFoundException") continue;
      return SetError(report, "cannot list the images of " + uri.repository + ": " +
                                  listing.error().ToString() + "; no image deleted", deps);
    }
    input.repositories[key] = std::move(listing).value();
  }
  ImageCleanupPlan plan = PlanImageCleanup(input);
  json& deleted = report.fields["deleted_images"] = json::array();
  json& kept = report.fields["kept_images"] = json::array();
  for (const ImageKept& k : plan.kept) {
    kept.push_back({{"image", k.image}, {"reason", k.reason}});
    deps.log("keeping " + k.image + ": " + k.reason);
  }
  // One BatchDeleteImage per repository.
  std::map<std::string, std::vector<const ImageToDelete*>> by_repository;
  for (const ImageToDelete& d : plan.deletions) by_repository[d.repository.Key()].push_back(&d);
  for (const auto& [key, images] : by_repository) {
    if (StopHere(report, deps)) return;
    std::vector<std::string> digests;
    for (const ImageToDelete* d : images) digests.push_back(d->digest);
    std::set<std::string> gone(digests.begin(), digests.end());
    if (!options.dry_run) {
      const EcrImageUri& repository = images.front()->repository;
      auto ecr = deps.ecr(repository.region);
      auto result = ecr.ok() ? (*ecr)->BatchDeleteImage(repository.registry_id, repository.repository, digests)
                             : Result<EcrDeletion>(ecr.error());
      if (!result.ok()) {
        SetError(report, "cannot delete images from " + repository.repository + ": " +
                             result.error().ToString(), deps);
        continue;
      }
      gone = std::set<std::string>(result->deleted.begin(), result->deleted.end());
      for (const std::string& failure : result->failures) {
        SetError(report, "ECR refused to delete " + repository.repository + "@" + failure, deps);
      }
    }
    for (const ImageToDelete* d : images) {
      if (!gone.count(d->digest)) continue;
      deleted.push_back({{"image", d->Uri()}, {"tags", d->tags}});
      std::string tags;
      for (const std::string& t : d->tags) tags += (tags.empty() ? " (" : ", ") + t;
      deps.log(std::string(options.dry_run ? "would delete " : "deleted ") + d->Uri() +
               (tags.empty() ? "" : tags + ")"));
    }
  }
}

}  // namespace

std::vector<std::string> VersionsToDelete(const std::vector<std::string>& versions,
                                          const std::vector<std::string>& aliased, int keep_newest,
                                          const std::string& keep) {
  std::vector<long> numbered;
  for (const std::string& v : versions) {
    if (IsNumber(v)) numbered.push_back(std::stol(v));
  }
  std::sort(numbered.begin(), numbered.end());
  std::set<std::string> protect(aliased.begin(), aliased.end());
  protect.insert(keep);
  std::vector<std::string> out;
  size_t kept = static_cast<size_t>(std::max(0, keep_newest));
  if (numbered.size() <= kept) return out;
  for (size_t i = 0; i + kept < numbered.size(); ++i) {
    std::string v = std::to_string(numbered[i]);
    if (!protect.count(v)) out.push_back(v);
  }
  return out;
}

std::string ShortRevision(const std::string& arn) { return arn.substr(arn.rfind('/') + 1); }

std::optional<std::string> CheckInUseBy(const std::string& spec) {
  for (const char* prefix : {"ecs:", "lambda:"}) {
    std::string_view p(prefix);
    if (spec.starts_with(p) && spec.size() > p.size()) return std::nullopt;
  }
  return "--in-use-by " + spec + ": give ecs:CLUSTER or lambda:FUNCTION";
}

CleanupReport CleanUpEcsFamily(const CleanupOptions& options, const CleanupDeps& deps,
                               const std::string& cluster, const std::string& family,
                               const std::vector<std::string>& protect) {
  CleanupReport report;
  json& deregistered = report.fields["deregistered"] = json::array();
  if (options.keep <= 0) return report;
  const bool images = options.images.delete_images;
  auto revisions = deps.ecs->ListActiveRevisions(family);
  if (!revisions.ok()) {
    SetError(report, "cannot list the revisions of " + family + ": " + revisions.error().ToString(), deps);
    return report;
  }
  InUse in_use(deps);
  auto scan = in_use.ScanCluster(cluster);
  Status scanned = scan.ok() ? Status::Ok() : Status(scan.error());
  if (!scanned.ok()) {
    // Deregistering stays safe (ECS goes on running an INACTIVE revision); deleting images
    // does not.
    SetError(report, "cannot tell what runs in " + cluster + ": " + scanned.error().ToString() +
                         (images ? "; no image deleted" : ""), deps);
  }
  const std::map<std::string, std::string> running = scan.ok() ? scan->revisions : std::map<std::string, std::string>();
  std::set<std::string> protected_arns(protect.begin(), protect.end());
  std::vector<ImageUse> removed;
  for (size_t i = 0; i < revisions->size(); ++i) {
    const std::string& arn = (*revisions)[i];
    if (i < static_cast<size_t>(options.keep) || protected_arns.count(arn)) continue;
    if (auto user = running.find(arn); user != running.end()) {
      deps.log("keeping " + ShortRevision(arn) + ": in use by " + user->second);
      continue;
    }
    if (images && scanned.ok()) {
      auto named = in_use.DescribeRevision(arn);
      if (!named.ok()) {
        SetError(report, "cannot read " + ShortRevision(arn) + ": " + named.error().ToString() +
                             "; no image deleted", deps);
        scanned = named.error();
      } else {
        for (const std::string& image : named->images) {
          removed.push_back({image, "revision " + ShortRevision(arn), named->registered_at});
        }
      }
    }
    if (StopHere(report, deps)) return report;
    if (!options.dry_run) {
      Status gone = deps.ecs->DeregisterTaskDefinition(arn);
      if (!gone.ok()) {
        SetError(report, "cannot deregister " + arn + ": " + gone.error().ToString(), deps);
        continue;
      }
    }
    deregistered.push_back(arn);
    in_use.Exclude(arn);
  }
  if (!deregistered.empty()) {
    deps.log(std::string(options.dry_run ? "would deregister " : "deregistered ") +
             std::to_string(deregistered.size()) + " old revision(s) of " + family);
  }
  if (!images || !scanned.ok()) return report;
  // What stays: the family's other ACTIVE revisions (one that failed to deregister among them),
  // the cluster's, and --in-use-by's.
  Status known = in_use.AddFamily(family);
  if (known.ok()) known = in_use.AddCluster(*scan);
  if (known.ok()) known = in_use.AddOthers(options.images.in_use_by);
  if (!known.ok()) {
    SetError(report, "cannot tell which images are in use: " + known.error().ToString() +
                         "; no image deleted", deps);
    return report;
  }
  std::set<std::string> gone;
  for (const json& arn : deregistered) gone.insert("revision " + ShortRevision(arn.get<std::string>()));
  std::erase_if(removed, [&](const ImageUse& use) { return !gone.count(use.user); });
  DeleteImages(options, deps, removed, in_use.uses, report);
  return report;
}

CleanupReport CleanUpLambdaVersions(const CleanupOptions& options, const CleanupDeps& deps,
                                    const std::string& function, const std::string& protect) {
  CleanupReport report;
  json& deleted_versions = report.fields["deleted_versions"] = json::array();
  if (options.keep <= 0) return report;
  const bool images = options.images.delete_images;
  auto versions = deps.lambda->ListVersions(function);
  auto aliases = deps.lambda->ListAliases(function);
  if (!versions.ok() || !aliases.ok()) {
    SetError(report, "cannot list the versions or aliases of " + function + ": " +
                         (versions.ok() ? aliases.error() : versions.error()).ToString() +
                         "; nothing deleted", deps);
    return report;
  }
  std::vector<std::string> numbers, aliased;
  for (const auto& v : *versions) numbers.push_back(v.version);
  for (const auto& a : *aliases) {
    aliased.push_back(a.function_version);
    aliased.insert(aliased.end(), a.additional_versions.begin(), a.additional_versions.end());
  }
  InUse in_use(deps);
  std::vector<ImageUse> removed;
  Status scanned = Status::Ok();
  std::vector<std::string> doomed = VersionsToDelete(numbers, aliased, options.keep, protect);
  if (images) {
    // Read before deleting: a deleted version no longer says what it ran.
    for (const std::string& v : doomed) {
      auto image = deps.lambda->FunctionImageByDigest(function, v);
      if (!image.ok()) {
        scanned = image.error();
        break;
      }
      if (!image->empty()) removed.push_back({*image, "lambda " + function + ":" + v});
    }
  }
  std::set<std::string> gone;
  for (const std::string& v : doomed) {
    if (StopHere(report, deps)) return report;
    if (!options.dry_run) {
      if (Status s = deps.lambda->DeleteVersion(function, v); !s.ok()) {
        SetError(report, "cannot delete version " + v + ": " + s.error().ToString(), deps);
        continue;
      }
    }
    gone.insert(v);
    deleted_versions.push_back(v);
  }
  if (!deleted_versions.empty()) {
    deps.log(std::string(options.dry_run ? "would delete " : "deleted ") +
             std::to_string(deleted_versions.size()) + " old version(s) of " + function);
  }
  if (!images) return report;
  if (scanned.ok()) scanned = in_use.AddFunctionVersions(function, numbers, gone);
  if (scanned.ok()) scanned = in_use.AddOthers(options.images.in_use_by);
  if (!scanned.ok()) {
    SetError(report, "cannot tell which images are in use: " + scanned.error().ToString() +
                         "; no image deleted", deps);
    return report;
  }
  std::erase_if(removed, [&](const ImageUse& use) {
    return !gone.count(use.user.substr(use.user.rfind(':') + 1));
  });
  DeleteImages(options, deps, removed, in_use.uses, report);
  return report;
}

namespace {

int EmitCleanUp(const CleanupOptions& options, CleanupReport report, json result,
                std::chrono::steady_clock::time_point started,
                const std::function<bool(const json&)>& emit) {
  result.update(report.fields);
  result["status"] = report.interrupted ? "interrupted"
                     : !report.ok       ? "failed"
                     : options.dry_run  ? "dry_run"
                                        : "cleaned";
  if (result.contains("cleanup_error")) {
    result["error"] = result["cleanup_error"];
    result.erase("cleanup_error");
  }
  result["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  emit(result);
  if (report.interrupted) return kExitInterrupted;
  return report.ok ? kExitSuccess : kExitFailure;
}

}  // namespace

int RunEcsCleanUp(const CleanupOptions& options, const CleanupDeps& deps, const std::string& cluster,
                  const std::string& service, std::string family,
                  const std::function<bool(const json&)>& emit) {
  auto started = std::chrono::steady_clock::now();
  json result = {{"cluster", cluster}, {"service", service.empty() ? json() : json(service)},
                 {"family", family.empty() ? json() : json(family)}};
  std::vector<std::string> protect;
  if (!service.empty()) {
    auto described = deps.ecs->DescribeService(cluster, service);
    CleanupReport failed;
    if (!described.ok()) {
      SetError(failed, described.error().ToString(), deps);
      return EmitCleanUp(options, failed, result, started, emit);
    }
    std::string current = described->value("taskDefinition", "");
    family = FamilyOf(current);
    result["family"] = family;
    protect.push_back(current);
    // The rollback target: the newest ACTIVE revision before the current one.
    auto revisions = deps.ecs->ListActiveRevisions(family);
    if (!revisions.ok()) {
      SetError(failed, "cannot list the revisions of " + family + ": " + revisions.error().ToString(), deps);
      return EmitCleanUp(options, failed, result, started, emit);
    }
    auto number = [](const std::string& arn) {
      std::string digits = arn.substr(arn.rfind(':') + 1);
      return IsNumber(digits) && digits.size() < 10 ? std::stol(digits) : -1L;
    };
    for (const std::string& arn : *revisions) {  // newest first
      if (arn != current && number(arn) < number(current)) {
        protect.push_back(arn);
        break;
      }
    }
  }
  return EmitCleanUp(options, CleanUpEcsFamily(options, deps, cluster, family, protect), result,
                     started, emit);
}

int RunLambdaCleanUp(const CleanupOptions& options, const CleanupDeps& deps,
                     const std::string& function, const std::function<bool(const json&)>& emit) {
  auto started = std::chrono::steady_clock::now();
  return EmitCleanUp(options, CleanUpLambdaVersions(options, deps, function, ""),
                     {{"function", function}}, started, emit);
}

}  // namespace sluice
