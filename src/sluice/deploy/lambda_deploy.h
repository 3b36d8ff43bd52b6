// sluice-deploy --lambda-function: roll a new image (and environment) out to a container-image
// Lambda function the way Lambda's own tools advise: UpdateFunctionCode (and
// UpdateFunctionConfiguration), wait until LastUpdateStatus is Successful, PublishVersion (only
// for the code just updated), then move --alias to that version. Callers invoke the alias, so
// a failed update leaves it where it was: that is the rollback. --keep-versions N then deletes
// the older versions no alias names. One result line:
//   {"function", "alias", "version", "previous_version", "image", "status", "deleted_versions",
//    "seconds", "error"}
// status: completed | failed | unchanged | dry_run | interrupted.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "sluice/deploy/cleanup.h"
#include "sluice/services/lambda_client.h"

namespace sluice {

struct LambdaDeployOptions {
  std::string function;
  std::string image;  // empty: keep
  std::vector<std::pair<std::string, std::string>> env;  // merged into the function's
  std::string alias;  // empty: publish a version, move no alias
  bool dry_run = false;
  int keep_versions = 0;  // 0: delete nothing
  ImageCleanupOptions images;  // --delete-images, --protect-tag, --in-use-by
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds poll{std::chrono::seconds(1)};
};

struct LambdaDeployDeps {
  LambdaClient* lambda = nullptr;
  EcsClient* ecs = nullptr;  // for --in-use-by ecs:
  std::function<Result<EcrClient*>(const std::string& region)> ecr;  // for --delete-images
  std::function<bool(std::chrono::milliseconds)> sleep;  // false when interrupted
  std::function<bool()> interrupted;
  std::function<void(const std::string&)> log;
  std::function<void(const std::string&)> diff;  // --dry-run's
  std::function<bool(const nlohmann::json&)> emit;
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
};

// 0 completed/unchanged/dry_run, 1 failed, 130 interrupted.
int RunLambdaDeploy(const LambdaDeployOptions& options, const LambdaDeployDeps& deps);

}  // namespace sluice
