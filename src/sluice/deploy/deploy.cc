#include "sluice/deploy/deploy.h"

#include <algorithm>
#include <set>

#include "sluice/deploy/rollout.h"
#include "sluice/deploy/task_definition_edit.h"
#include "sluice/ecs/ecs_task_definition.h"
#include "sluice/net/retry_policy.h"
#include "sluice/util/duration.h"
#include "sluice/util/exit_codes.h"

namespace sluice {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

enum class WaitEnd { kCompleted, kFailed, kRolledBackByEcs, kTimedOut, kInterrupted, kError };

class Deploy {
 public:
  Deploy(const DeployOptions& options, const DeployDeps& deps)
      : options_(options), deps_(deps), started_(std::chrono::steady_clock::now()) {
    result_ = {{"cluster", options.cluster},
               {"service", options.service},
               {"task_definition_arn", nullptr},
               {"previous_task_definition_arn", nullptr},
               {"status", "failed"}};
  }

  int Run() {
    auto service = deps_.ecs->DescribeService(options_.cluster, options_.service);
    if (!service.ok()) return Fail(service.error().ToString());
    previous_ = service->value("taskDefinition", "");
    // UpdateService refuses a new task definition on these: say so before registering one.
    std::string controller = service->value("/deploymentController/type"_json_pointer, "ECS");
    if (controller != "ECS" && !options_.register_only) {
      std::string how = controller == "CODE_DEPLOY"
                            ? "deploy through CodeDeploy (aws deploy create-deployment)"
                            : "deploy with the task set APIs (aws ecs create-task-set)";
      std::string message = "service " + options_.service + " uses the " + controller +
                            " deployment controller: ECS takes no new task definition through "
                            "UpdateService; register with --register-only and " + how;
      if (!options_.dry_run) return Fail(message);
      deps_.log(message);
    }
    result_["previous_task_definition_arn"] = previous_;
    json tags;
    auto current = deps_.ecs->DescribeTaskDefinition(previous_, &tags);
    if (!current.ok()) return Fail(current.error().ToString());
    json baseline = RegistrationFrom(*current, tags);

    json next = options_.registration ? *options_.registration : baseline;
    if (!options_.image.empty() || !options_.env.empty()) {
      auto container = ChooseContainer(next, options_.container, next.value("family", "?"));
      if (!container.ok()) return Fail(container.error().message);
      if (!options_.image.empty()) {
        Status set = SetContainerImage(next, *container, options_.image);
        if (!set.ok()) return Fail(set.error().message);
      }
      if (!options_.env.empty()) {
        Status set = SetContainerEnvironment(next, *container, options_.env);
        if (!set.ok()) return Fail(set.error().message);
      }
    }
    // ECS fills in defaults (empty lists, cpu 0, ...): compare and show what really differs.
    bool changed = WithoutDefaults(next) != WithoutDefaults(baseline);
    if (options_.dry_run) {
      std::string diff = DiffJson(WithoutDefaults(baseline), WithoutDefaults(next));
      deps_.diff(diff.empty() ? "no change to " + previous_ + "\n" : diff);
      result_["status"] = "dry_run";
      result_["changed"] = changed;
      result_["task_definition_arn"] = previous_;
      return Emit(kExitSuccess);
    }
    std::string target = previous_;
    if (Interrupted()) return Emit(kExitInterrupted);
    if (changed) {
      auto registered = deps_.ecs->RegisterTaskDefinition(next);
      if (!registered.ok()) return Fail(registered.error().ToString());
      target = registered->value("taskDefinitionArn", "");
      deps_.log("registered " + target);
    } else {
      deps_.log("the task definition is unchanged: " + previous_);
    }
    result_["task_definition_arn"] = target;
    if (options_.register_only) {
      result_["status"] = changed ? "registered" : "unchanged";
      return Emit(kExitSuccess);
    }
    if (!changed && !options_.force_new_deployment) {
      result_["status"] = "unchanged";
      return Emit(kExitSuccess);
    }

    if (Interrupted()) return Emit(kExitInterrupted);
    auto updated = deps_.ecs->UpdateService(options_.cluster, options_.service,
                                            {target, options_.force_new_deployment});
    if (!updated.ok()) return Fail(updated.error().ToString());
    std::string deployment = PrimaryDeploymentId(*updated);
    result_["deployment_id"] = deployment;
    NewServiceEvents(*updated, seen_events_);  // what happened before this deploy is not news
    deps_.log("updated service " + options_.service + " to " + target + " (deployment " +
              deployment + ")");
    if (!options_.wait) {
      result_["status"] = "started";
      // Safe without waiting: the previous revision, the rollback target, is never deregistered.
      CleanUp(target);
      return Emit(kExitSuccess);
    }

    std::string why;
    switch (WaitForRollout(deployment, target, &why)) {
      case WaitEnd::kCompleted:
        result_["status"] = "completed";
        CleanUp(target);
        return Emit(kExitSuccess);
      case WaitEnd::kRolledBackByEcs:
        deps_.log("ECS rolled the deployment back (" + why + ")");
        result_["status"] = "rolled_back";
        result_["error"] = "ECS's deployment circuit breaker rolled back: " + why;
        return Emit(kExitFailure);
      case WaitEnd::kInterrupted:
        deps_.log("interrupted: the deployment goes on without us; follow it with aws ecs "
                  "describe-services --cluster " + options_.cluster + " --services " +
                  options_.service);
        result_["status"] = "interrupted";
        return Emit(kExitInterrupted);
      case WaitEnd::kError:
        return Fail(why);
      case WaitEnd::kFailed:
      case WaitEnd::kTimedOut:
        break;
    }
    result_["error"] = why;
    if (!options_.rollback || target == previous_) {
      deps_.log("the deployment did not complete: " + why);
      return Emit(kExitFailure);
    }
    return RollBack(why);
  }

 private:
  WaitEnd WaitForRollout(const std::string& deployment, const std::string& target, std::string* why) {
    auto began = std::chrono::steady_clock::now();
    auto deadline = began + options_.timeout;
    milliseconds interval = options_.intervals.first;
    std::string last_progress;
    bool listed = false;  // ECS has shown our deployment at least once
    while (true) {
      auto service = deps_.ecs->DescribeService(options_.cluster, options_.service);
      RolloutView view;
      if (!service.ok()) {
        // Throttling, 5xx or the network after the client's own retries: the deployment goes
        // on regardless, so keep watching it (until --timeout) rather than give up on it.
        if (ClassifyFailure(service.error()) == FailureClass::kNotRetryable) {
          *why = service.error().ToString();
          return WaitEnd::kError;
        }
        deps_.log(service.error().ToString() + "; still waiting");
      } else {
        for (const std::string& event : NewServiceEvents(*service, seen_events_)) deps_.log(event);
        bool expect_listed =
            listed || std::chrono::steady_clock::now() - began >= options_.visibility_grace;
        view = EvaluateRollout(*service, deployment, target, expect_listed);
        listed = listed || view.listed;
      }
      std::string progress = std::to_string(view.running) + "/" + std::to_string(view.desired) +
                             " running";
      if (service.ok() && !view.listed) progress = view.reason;
      if (service.ok() && progress != last_progress) {
        deps_.log("deployment " + deployment + ": " + progress);
        last_progress = progress;
      }
      *why = view.reason;
      switch (view.status) {
        case RolloutStatus::kCompleted: return WaitEnd::kCompleted;
        case RolloutStatus::kFailed:
          if (why->empty()) *why = "the rollout FAILED";
          return WaitEnd::kFailed;
        case RolloutStatus::kRolledBackByEcs: return WaitEnd::kRolledBackByEcs;
        case RolloutStatus::kInProgress: break;
      }
      auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        *why = "not COMPLETED within --timeout " + FormatDuration(options_.timeout);
        return WaitEnd::kTimedOut;
      }
      if (!deps_.sleep(std::min(interval, left))) return WaitEnd::kInterrupted;
      interval = std::min(options_.intervals.max, interval + (interval + milliseconds(1)) / 2);
    }
  }

  int RollBack(const std::string& why) {
    deps_.log("the deployment did not complete (" + why + "): rolling back to " + previous_);
    auto updated = deps_.ecs->UpdateService(options_.cluster, options_.service, {previous_, false});
    if (!updated.ok()) {
      result_["error"] = why + "; the rollback failed: " + updated.error().ToString();
      deps_.log(result_["error"].get<std::string>());
      return Emit(kExitFailure);
    }
    std::string deployment = PrimaryDeploymentId(*updated);
    std::string rollback_why;
    WaitEnd end = WaitForRollout(deployment, previous_, &rollback_why);
    result_["status"] = "rolled_back";
    if (end == WaitEnd::kInterrupted) {
      result_["status"] = "interrupted";
      result_["error"] = why + "; rolling back to " + previous_ + " (deployment " + deployment +
                         "), which goes on without us";
    } else if (end != WaitEnd::kCompleted) {
      result_["error"] = why + "; the rollback has not completed either: " + rollback_why;
      result_["status"] = "failed";
    }
    deps_.log(end == WaitEnd::kCompleted ? "rolled back to " + previous_
                                         : result_["error"].get<std::string>());
    return Emit(end == WaitEnd::kInterrupted ? kExitInterrupted : kExitFailure);
  }

  // --keep-revisions N (and --delete-images): never the revision now in use nor the previous one
  // (a rollback target).
  void CleanUp(const std::string& in_use) {
    result_["deregistered"] = json::array();
    if (options_.keep_revisions <= 0) return;
    CleanupOptions cleanup{options_.keep_revisions, options_.images, false};
    CleanupDeps deps{deps_.ecs, deps_.lambda, deps_.ecr, deps_.log, deps_.interrupted};
    if (!deps.interrupted) deps.interrupted = [] { return false; };
    std::string family = ShortRevision(in_use);
    family = family.substr(0, family.rfind(':'));
    CleanupReport report = CleanUpEcsFamily(cleanup, deps, options_.cluster, family, {in_use, previous_});
    result_.update(report.fields);
  }

  // A signal before the service was touched: stop there (nothing started).
  bool Interrupted() {
    if (!deps_.interrupted || !deps_.interrupted()) return false;
    deps_.log("interrupted before the service was updated: nothing was deployed");
    result_["status"] = "interrupted";
    return true;
  }

  int Fail(const std::string& error) {
    deps_.log(error);
    result_["status"] = "failed";
    result_["error"] = error;
    return Emit(kExitFailure);
  }

  int Emit(int exit_code) {
    result_["seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    deps_.emit(result_);
    return exit_code;
  }

  const DeployOptions& options_;
  const DeployDeps& deps_;
  std::chrono::steady_clock::time_point started_;
  std::string previous_;
  std::set<std::string> seen_events_;
  json result_;
};

}  // namespace

int RunDeploy(const DeployOptions& options, const DeployDeps& deps) {
  Deploy deploy(options, deps);
  return deploy.Run();
}

}  // namespace sluice
