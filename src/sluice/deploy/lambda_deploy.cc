#include "sluice/deploy/lambda_deploy.h"

#include <algorithm>
#include <map>
#include <set>

#include "sluice/util/exit_codes.h"

namespace sluice {
namespace {

using nlohmann::json;
using Env = std::vector<std::pair<std::string, std::string>>;

// The function's environment with `changes` applied (pure).
Env Merged(const Env& current, const Env& changes) {
  std::map<std::string, std::string> merged(current.begin(), current.end());
  for (const auto& [name, value] : changes) merged[name] = value;
  return Env(merged.begin(), merged.end());
}


class LambdaDeploy {
 public:
  LambdaDeploy(const LambdaDeployOptions& options, const LambdaDeployDeps& deps)
      : options_(options), deps_(deps), started_(deps.now()) {
    result_ = {{"function", options.function}, {"alias", options.alias.empty() ? json() : json(options.alias)},
               {"version", nullptr}, {"previous_version", nullptr},
               {"image", options.image.empty() ? json() : json(options.image)},
               {"status", "failed"}, {"deleted_versions", json::array()}};
  }

  int Run() {
    LambdaClient& lambda = *deps_.lambda;
    auto read = lambda.GetFunctionConfiguration(options_.function, "");
    if (!read.ok()) return Fail("cannot read function " + options_.function + ": " + read.error().ToString());
    auto config = ParseLambdaFunctionConfig(*read);
    if (!config.ok()) return Fail(config.error().ToString());
    if (!options_.image.empty() && config->package_type != "Image") {
      return Fail(options_.function + " is a " + config->package_type +
                  " function: --image needs a container-image function");
    }
    std::string previous;
    if (!options_.alias.empty()) {
      auto alias = lambda.GetAlias(options_.function, options_.alias);
      if (!alias.ok()) return Fail("cannot read alias " + options_.alias + ": " + alias.error().ToString());
      if (alias->has_value()) previous = (*alias)->function_version;
    }
    if (!previous.empty()) result_["previous_version"] = previous;

    std::string current_image;
    if (!options_.image.empty()) {
      auto image = lambda.FunctionImage(options_.function);
      if (!image.ok()) return Fail("cannot read the function's image: " + image.error().ToString());
      current_image = *image;
    }
    Env env = Merged(config->environment, options_.env);
    bool new_image = !options_.image.empty() && options_.image != current_image;
    bool new_env = !options_.env.empty() && env != config->environment;

    if (options_.dry_run) {
      std::string diff;
      if (new_image) diff += "image: " + current_image + " -> " + options_.image + "\n";
      for (const auto& [name, value] : options_.env) {
        auto it = std::find_if(config->environment.begin(), config->environment.end(),
                               [&](const auto& e) { return e.first == name; });
        if (it == config->environment.end()) diff += "env +" + name + "=" + value + "\n";
        else if (it->second != value) diff += "env " + name + ": " + it->second + " -> " + value + "\n";
      }
      if (diff.empty()) diff = "no change\n";
      if (deps_.diff) deps_.diff(diff);
      return Finish("dry_run", "");
    }
    if (!new_image && !new_env) {
      result_["version"] = previous.empty() ? json() : json(previous);
      return Finish("unchanged", "");
    }
    if (deps_.interrupted()) return Finish("interrupted", "interrupted before the update");

    std::string revision = config->revision_id;
    std::string code_sha = config->code_sha256;
    if (new_image) {
      deps_.log("updating " + options_.function + " to " + options_.image);
      auto updated = lambda.UpdateFunctionImage(options_.function, options_.image, revision);
      if (!updated.ok()) return Fail("UpdateFunctionCode: " + updated.error().ToString());
      auto settled = WaitForUpdate();
      if (!settled.ok()) return FailWith(settled.error());
      revision = settled->revision_id;
      code_sha = settled->code_sha256;
    }
    if (new_env) {
      deps_.log("updating " + options_.function + "'s environment");
      auto updated = lambda.UpdateFunctionEnvironment(options_.function, env, revision);
      if (!updated.ok()) return Fail("UpdateFunctionConfiguration: " + updated.error().ToString());
      auto settled = WaitForUpdate();
      if (!settled.ok()) return FailWith(settled.error());
      code_sha = settled->code_sha256;
    }
    auto published = lambda.PublishVersion(options_.function, code_sha,
                                           options_.image.empty() ? "sluice-deploy" : options_.image);
    if (!published.ok()) return Fail("PublishVersion: " + published.error().ToString());
    const std::string version = published->version;
    result_["version"] = version;
    if (!options_.alias.empty()) {
      auto moved = previous.empty() ? lambda.CreateAlias(options_.function, options_.alias, version)
                                    : lambda.UpdateAlias(options_.function, options_.alias, version);
      if (!moved.ok()) {
        return Fail("version " + version + " is published, but moving alias " + options_.alias +
                    " failed: " + moved.error().ToString());
      }
      deps_.log(options_.alias + " -> version " + version +
                (previous.empty() ? "" : " (was " + previous + ")"));
    }
    if (options_.keep_versions > 0) CleanUp(version);
    return Finish("completed", "");
  }

 private:
  // Polls until LastUpdateStatus leaves InProgress: the configuration when Successful, else an
  // error with Lambda's reason (the alias has not moved).
  Result<LambdaFunctionConfig> WaitForUpdate() {
    auto deadline = deps_.now() + options_.timeout;
    while (true) {
      auto read = deps_.lambda->GetFunctionConfiguration(options_.function, "");
      if (!read.ok()) return read.error();
      auto config = ParseLambdaFunctionConfig(*read);
      if (!config.ok()) return config.error();
      if (config->last_update_status == "Successful" || config->last_update_status.empty()) {
        return config;
      }
      if (config->last_update_status == "Failed") {
        return Error::InvalidArgument("the update failed: " + config->last_update_status_reason_code +
                                      (config->last_update_status_reason.empty()
                                           ? ""
                                           : ": " + config->last_update_status_reason));
      }
      if (deps_.now() >= deadline) {
        return Error::Timeout("the update was still InProgress after the timeout");
      }
      if (!deps_.sleep(options_.poll)) return Error::Interrupted("interrupted while the update ran");
    }
  }

  void CleanUp(const std::string& keep) {
    CleanupOptions cleanup{options_.keep_versions, options_.images, false};
    CleanupDeps deps{deps_.ecs, deps_.lambda, deps_.ecr, deps_.log, deps_.interrupted};
    if (!deps.interrupted) deps.interrupted = [] { return false; };
    CleanupReport report = CleanUpLambdaVersions(cleanup, deps, options_.function, keep);
    result_.update(report.fields);
  }

  int FailWith(const Error& e) {
    if (e.kind == ErrorKind::kInterrupted) return Finish("interrupted", e.message);
    return Fail(e.message + (options_.alias.empty() ? "" : "; " + options_.alias + " stays where it was"));
  }
  int Fail(const std::string& error) { return Finish("failed", error); }

  int Finish(const std::string& status, const std::string& error) {
    result_["status"] = status;
    result_["seconds"] =
        std::chrono::duration<double>(deps_.now() - started_).count();
    if (!error.empty()) result_["error"] = error;
    if (!error.empty()) deps_.log(error);
    deps_.emit(result_);
    if (status == "failed") return kExitFailure;
    if (status == "interrupted") return kExitInterrupted;
    return kExitSuccess;
  }

  const LambdaDeployOptions& options_;
  const LambdaDeployDeps& deps_;
  std::chrono::steady_clock::time_point started_;
  json result_;
};

}  // namespace

int RunLambdaDeploy(const LambdaDeployOptions& options, const LambdaDeployDeps& deps) {
  return LambdaDeploy(options, deps).Run();
}

}  // namespace sluice
