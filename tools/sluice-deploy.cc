// sluice-deploy: rolls a new image (or task definition) out to an ECS service, waits until the
// rollout completes, and rolls back when it does not. Argument parsing here; the work is in
// sluice/deploy/deploy.h.
#include <signal.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>

#include "sluice/cli/json_lines.h"
#include "sluice/cli/tool_main.h"
#include "sluice/deploy/cleanup.h"
#include "sluice/deploy/deploy.h"
#include "sluice/deploy/lambda_deploy.h"
#include "sluice/deploy/task_definition_edit.h"
#include "sluice/ecs/run_task_request.h"
#include "sluice/os/file_read.h"
#include "sluice/os/interrupt.h"
#include "sluice/services/default_client_context.h"
#include "sluice/util/duration.h"
#include "sluice/util/exit_codes.h"
#include "sluice/util/glob.h"
#include "sluice/util/logging.h"

namespace sluice {
namespace {

constexpr std::string_view kTool = "sluice-deploy";

struct Flags {
  CommonFlags common;
  std::string cluster;
  std::string service;
  std::string image;
  std::string container;
  std::string task_definition_file;
  std::vector<std::string> env;
  std::string timeout = "10m";
  int keep_revisions = 0;
  bool dry_run = false;
  bool register_only = false;
  bool no_wait = false;
  bool no_rollback = false;
  bool force_new_deployment = false;
  std::string lambda_function;
  std::string alias;
  int keep_versions = 0;
  bool clean_up = false;
  std::string family;
  bool delete_images = false;
  std::vector<std::string> protect_tags;
  std::vector<std::string> in_use_by;
};

int Usage(const std::string& message) { return PrintUsageError(kTool, message); }

// --env and --timeout, which mean the same for a service and a function. An error message for
// a usage error.
std::optional<std::string> ParseEnvAndTimeout(const Flags& flags,
                                              std::vector<std::pair<std::string, std::string>>& env,
                                              std::chrono::milliseconds& timeout) {
  for (const std::string& text : flags.env) {
    auto pair = ParseNameValue("--env", text);
    if (!pair.ok()) return pair.error().message;
    env.push_back(*pair);
  }
  auto parsed = ParseDuration(flags.timeout);
  if (!parsed.ok()) return "--timeout: " + parsed.error().message;
  timeout = *parsed;
  return std::nullopt;
}

// --delete-images, --protect-tag and --in-use-by, the same for a service and a function. An
// error message for a usage error.
std::optional<std::string> ParseImageCleanup(const Flags& flags, int keep, ImageCleanupOptions& images) {
  if (!flags.delete_images && (!flags.protect_tags.empty() || !flags.in_use_by.empty())) {
    return "--protect-tag and --in-use-by go with --delete-images";
  }
  if (flags.delete_images && keep <= 0) {
    return "--delete-images deletes the images of the revisions (versions) a clean-up removes: "
           "give --keep-revisions N (--keep-versions N for a function)";
  }
  images.delete_images = flags.delete_images;
  for (const std::string& pattern : flags.protect_tags) {
    auto glob = Glob::Parse(pattern);
    if (!glob.ok()) return "--protect-tag " + pattern + ": " + glob.error().message;
    images.protect_tags.push_back(std::move(glob).value());
  }
  for (const std::string& spec : flags.in_use_by) {
    if (auto bad = CheckInUseBy(spec)) return *bad;
  }
  images.in_use_by = flags.in_use_by;
  return std::nullopt;
}

// The clients a clean-up may need: ECR per region (an image's registry names its region), and
// ECS or Lambda for --in-use-by.
class CleanupClients {
 public:
  explicit CleanupClients(std::shared_ptr<const ClientContext> context) : context_(std::move(context)) {}

  Result<EcrClient*> Ecr(const std::string& region) {
    auto& client = ecr_[region];
    if (!client) {
      auto made = EcrClient::Make(region == context_->region ? context_ : WithRegion(context_, region));
      if (!made.ok()) return made.error();
      client = std::move(made).value();
    }
    return client.get();
  }
  // Makes the other service's client when --in-use-by names it.
  Status Prepare(const std::vector<std::string>& in_use_by) {
    for (const std::string& spec : in_use_by) {
      if (spec.starts_with("ecs:") && !ecs_) {
        auto made = EcsClient::Make(context_);
        if (!made.ok()) return made.error();
        ecs_ = std::move(made).value();
      }
      if (spec.starts_with("lambda:") && !lambda_) {
        auto made = LambdaClient::Make(context_);
        if (!made.ok()) return made.error();
        lambda_ = std::move(made).value();
      }
    }
    return Status::Ok();
  }
  EcsClient* ecs() { return ecs_.get(); }
  LambdaClient* lambda() { return lambda_.get(); }

 private:
  std::shared_ptr<const ClientContext> context_;
  std::map<std::string, std::unique_ptr<EcrClient>> ecr_;
  std::unique_ptr<EcsClient> ecs_;
  std::unique_ptr<LambdaClient> lambda_;
};

// The tool's clients: the one the work is for (EcsClient or LambdaClient) and the clean-up's.
// nullopt once the error is printed.
template <typename Client>
struct ToolClients {
  std::unique_ptr<Client> main;
  std::unique_ptr<CleanupClients> cleanup;
};
template <typename Client>
std::optional<ToolClients<Client>> MakeClients(const Flags& flags, const ImageCleanupOptions& images) {
  auto context = MakeClientContext(ToClientOptions(flags.common));
  if (!context.ok()) {
    PrintError(kTool, context.error());
    return std::nullopt;
  }
  auto main = Client::Make(*context);
  auto cleanup = std::make_unique<CleanupClients>(*context);
  Status prepared = main.ok() ? cleanup->Prepare(images.in_use_by) : Status(main.error());
  if (!prepared.ok()) {
    PrintError(kTool, prepared.error());
    return std::nullopt;
  }
  return ToolClients<Client>{std::move(main).value(), std::move(cleanup)};
}

// Signals, progress, the diff and the result line, the same for DeployDeps and LambdaDeployDeps.
template <typename Deps>
void SetToolDeps(Deps& deps) {
  deps.sleep = [](std::chrono::milliseconds d) { return SleepUnlessInterrupted(d); };
  deps.interrupted = [] { return Interrupted(); };
  deps.log = [](const std::string& line) { LogLine(std::string(kTool) + ": " + line); };
  deps.diff = [](const std::string& text) {
    LogLine(text.substr(0, text.size() - (text.ends_with('\n') ? 1 : 0)));
  };
  deps.emit = [](const nlohmann::json& result) { return WriteJsonLine(result); };
}

// sluice-deploy --lambda-function: the same flags where they mean the same, the ECS-only ones
// refused.
int RunLambda(const Flags& flags) {
  if (!flags.cluster.empty() || !flags.service.empty() || !flags.container.empty() ||
      !flags.task_definition_file.empty() || !flags.family.empty() || flags.register_only ||
      flags.no_wait || flags.no_rollback || flags.force_new_deployment || flags.keep_revisions != 0) {
    return Usage("--lambda-function takes --image, --env, --alias, --keep-versions, --timeout, "
                 "--dry-run, --clean-up and the image clean-up flags; --cluster, --service, "
                 "--family, --container, --task-definition, --register-only, --no-wait, "
                 "--no-rollback, --force-new-deployment and --keep-revisions are for ECS");
  }
  LambdaDeployOptions options;
  options.function = flags.lambda_function;
  options.image = flags.image;
  options.alias = flags.alias;
  options.dry_run = flags.dry_run;
  if (auto bad = ParseEnvAndTimeout(flags, options.env, options.timeout)) return Usage(*bad);
  if (flags.keep_versions < 0) return Usage("--keep-versions must be 0 (keep all) or more");
  options.keep_versions = flags.keep_versions;
  if (auto bad = ParseImageCleanup(flags, flags.keep_versions, options.images)) return Usage(*bad);
  if (flags.clean_up) {
    if (!options.image.empty() || !options.env.empty() || !options.alias.empty()) {
      return Usage("--clean-up deploys nothing: leave out --image, --env and --alias");
    }
    if (options.keep_versions <= 0) return Usage("--clean-up needs --keep-versions N (N >= 1)");
  } else if (options.image.empty() && options.env.empty()) {
    return Usage("nothing to deploy: give --image or --env (or --clean-up --keep-versions N)");
  }
  auto clients = MakeClients<LambdaClient>(flags, options.images);
  if (!clients) return kExitFailure;
  InstallInterruptHandlers();
  LambdaDeployDeps deps;
  deps.lambda = clients->main.get();
  deps.ecs = clients->cleanup->ecs();
  deps.ecr = [&](const std::string& region) { return clients->cleanup->Ecr(region); };
  SetToolDeps(deps);
  if (flags.clean_up) {
    CleanupOptions cleanup{options.keep_versions, options.images, options.dry_run};
    return RunLambdaCleanUp(cleanup, {deps.ecs, deps.lambda, deps.ecr, deps.log, deps.interrupted},
                            options.function, deps.emit);
  }
  return RunLambdaDeploy(options, deps);
}

// sluice-deploy --clean-up for a service or a family: no deploy.
int RunEcsCleanUpOnly(const Flags& flags) {
  if (!flags.image.empty() || !flags.env.empty() || !flags.task_definition_file.empty() ||
      !flags.container.empty() || flags.register_only || flags.no_wait || flags.no_rollback ||
      flags.force_new_deployment) {
    return Usage("--clean-up deploys nothing: leave out --image, --env, --container, "
                 "--task-definition, --register-only, --no-wait, --no-rollback and "
                 "--force-new-deployment");
  }
  if (flags.cluster.empty() || (flags.service.empty() == flags.family.empty())) {
    return Usage("--clean-up needs --cluster C and one of --service S (its current and previous "
                 "revisions kept) or --family F (tasks started by sluice-trigger or run-once)");
  }
  if (flags.keep_revisions <= 0) return Usage("--clean-up needs --keep-revisions N (N >= 1)");
  CleanupOptions cleanup;
  cleanup.keep = flags.keep_revisions;
  cleanup.dry_run = flags.dry_run;
  if (auto bad = ParseImageCleanup(flags, flags.keep_revisions, cleanup.images)) return Usage(*bad);
  auto clients = MakeClients<EcsClient>(flags, cleanup.images);
  if (!clients) return kExitFailure;
  InstallInterruptHandlers();
  CleanupDeps deps;
  deps.ecs = clients->main.get();
  deps.lambda = clients->cleanup->lambda();
  deps.ecr = [&](const std::string& region) { return clients->cleanup->Ecr(region); };
  deps.log = [](const std::string& line) { LogLine(std::string(kTool) + ": " + line); };
  deps.interrupted = [] { return Interrupted(); };
  return RunEcsCleanUp(cleanup, deps, flags.cluster, flags.service, flags.family,
                       [](const nlohmann::json& result) { return WriteJsonLine(result); });
}

int Run(const Flags& flags) {
  SetVerbose(flags.common.verbose);
  if (!flags.lambda_function.empty()) return RunLambda(flags);
  if (!flags.alias.empty() || flags.keep_versions != 0) {
    return Usage("--alias and --keep-versions are for --lambda-function");
  }
  if (flags.keep_revisions < 0) return Usage("--keep-revisions must be 0 (keep all) or more");
  if (flags.clean_up) return RunEcsCleanUpOnly(flags);
  if (!flags.family.empty()) return Usage("--family goes with --clean-up");
  if (flags.cluster.empty() || flags.service.empty()) {
    return Usage("name the service with --cluster C --service S, or the function with "
                 "--lambda-function NAME");
  }
  DeployOptions options;
  options.cluster = flags.cluster;
  options.service = flags.service;
  options.image = flags.image;
  options.container = flags.container;
  if (auto bad = ParseEnvAndTimeout(flags, options.env, options.timeout)) return Usage(*bad);
  options.keep_revisions = flags.keep_revisions;
  if (auto bad = ParseImageCleanup(flags, flags.keep_revisions, options.images)) return Usage(*bad);
  if (flags.dry_run && flags.register_only) return Usage("--dry-run and --register-only exclude each other");
  options.dry_run = flags.dry_run;
  options.register_only = flags.register_only;
  options.wait = !flags.no_wait;
  options.rollback = !flags.no_rollback;
  options.force_new_deployment = flags.force_new_deployment;
  if (!flags.task_definition_file.empty()) {
    int error = 0;
    auto text = ReadWholeFile(flags.task_definition_file, &error);
    if (!text) {
      return Usage("--task-definition " + flags.task_definition_file + ": " + std::strerror(error));
    }
    auto document = nlohmann::json::parse(*text, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
      return Usage("--task-definition " + flags.task_definition_file +
                   ": not a JSON object (a RegisterTaskDefinition document)");
    }
    Status expanded = ExpandVariablesInJson(document, [](const std::string& name) -> std::optional<std::string> {
      const char* value = std::getenv(name.c_str());
      if (value == nullptr) return std::nullopt;
      return std::string(value);
    });
    if (!expanded.ok()) {
      return Usage("--task-definition " + flags.task_definition_file + ": " + expanded.error().message);
    }
    // Accept DescribeTaskDefinition's output too: {"taskDefinition": {...}, "tags": [...]}.
    if (document.contains("taskDefinition") && document["taskDefinition"].is_object()) {
      document = RegistrationFrom(document["taskDefinition"],
                                  document.value("tags", nlohmann::json::array()));
    }
    if (!document.contains("family") || !document.contains("containerDefinitions")) {
      return Usage("--task-definition " + flags.task_definition_file +
                   ": needs \"family\" and \"containerDefinitions\"");
    }
    options.registration = RegistrationFrom(document, document.value("tags", nlohmann::json::array()));
  }
  if (options.image.empty() && options.env.empty() && !options.registration &&
      !options.force_new_deployment) {
    return Usage("nothing to deploy: give --image, --env, --task-definition FILE or "
                 "--force-new-deployment");
  }

  auto clients = MakeClients<EcsClient>(flags, options.images);
  if (!clients) return kExitFailure;
  InstallInterruptHandlers();
  DeployDeps deps;
  deps.ecs = clients->main.get();
  deps.lambda = clients->cleanup->lambda();
  deps.ecr = [&](const std::string& region) { return clients->cleanup->Ecr(region); };
  SetToolDeps(deps);
  return RunDeploy(options, deps);
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  using namespace sluice;
  signal(SIGPIPE, SIG_IGN);
  Flags flags;
  CLI::App app{
      "Roll a new image or task definition out to an ECS service, wait until it is healthy, roll "
      "back if not; or (--lambda-function) a new image to a Lambda function, published as a "
      "version that --alias moves to.\n"
      "Result: cluster, service, task_definition_arn, previous_task_definition_arn, status "
      "(completed|rolled_back|failed|registered|started|unchanged|dry_run|interrupted), "
      "deployment_id, deregistered, deleted_images, kept_images, seconds, error. See man sluice-deploy.\n"
      "Exit: 0 done, 1 failed or rolled back, 2 usage, 130 interrupted (the deployment goes on).",
      "sluice-deploy"};
  AddCommonFlags(app, flags.common);
  app.add_option("--cluster", flags.cluster, "the service's cluster");
  app.add_option("--service", flags.service, "the ECS service");
  app.add_option("--lambda-function", flags.lambda_function,
                 "deploy to this container-image Lambda function instead: new code (and "
                 "environment), wait, publish a version, move --alias to it");
  app.add_option("--alias", flags.alias,
                 "with --lambda-function: the alias callers invoke, moved to the new version "
                 "(created if missing); left where it was when the update fails");
  app.add_option("--keep-versions", flags.keep_versions,
                 "with --lambda-function: after success, delete versions beyond the newest N "
                 "that no alias names");
  app.add_option("--image", flags.image, "new image for --container (e.g. from sluice-push's .image)");
  app.add_option("--container", flags.container,
                 "the container --image and --env change (default: the only one)");
  app.add_option("--task-definition", flags.task_definition_file,
                 "FILE: a whole RegisterTaskDefinition document instead of the current one "
                 "(${VAR} in its string values from the environment; unknown ones are an error)");
  app.add_option("--env", flags.env, "NAME=VALUE in the container's environment (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--timeout", flags.timeout,
                 "roll back when the rollout has not COMPLETED after this long (default 10m)");
  app.add_option("--keep-revisions", flags.keep_revisions,
                 "after success, deregister ACTIVE revisions of the family beyond the newest N");
  app.add_flag("--dry-run", flags.dry_run,
               "print the task definition diff; register nothing (with --clean-up: report what "
               "would go, remove nothing)");
  app.add_flag("--clean-up", flags.clean_up,
               "deploy nothing: only the clean-up of --keep-revisions/--keep-versions (and "
               "--delete-images), e.g. from a schedule");
  app.add_option("--family", flags.family,
                 "with --clean-up and --cluster: clean up this task definition family (tasks "
                 "started by sluice-trigger or sluice-run-once) instead of a service's");
  app.add_flag("--delete-images", flags.delete_images,
               "with --keep-revisions/--keep-versions: also delete from ECR the images only the "
               "removed revisions (versions) named; never one that a kept revision, the current "
               "or rollback revision, a service or running task of the cluster, or a remaining "
               "version uses");
  app.add_option("--protect-tag", flags.protect_tags,
                 "GLOB: never delete an image with a matching tag (repeatable; e.g. 'release-*')")
      ->allow_extra_args(false);
  app.add_option("--in-use-by", flags.in_use_by,
                 "ecs:CLUSTER or lambda:FUNCTION whose images count as in use too (repeatable): "
                 "for an image shared with another cluster or a function")
      ->allow_extra_args(false);
  app.add_flag("--register-only", flags.register_only,
               "register the revision and print its ARN; do not touch the service");
  app.add_flag("--no-wait", flags.no_wait, "return once the service is updated");
  app.add_flag("--no-rollback", flags.no_rollback, "on failure or timeout, leave things as they are");
  app.add_flag("--force-new-deployment", flags.force_new_deployment,
               "replace the tasks even when the task definition is unchanged");
  return RunToolMain(app, argc, argv, [&] { return Run(flags); });
}
