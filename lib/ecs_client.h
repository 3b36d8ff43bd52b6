// ECS over AWS JSON 1.1. The tool issues (deploy, run-once, trigger) add their calls here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/ecs_types.h"
#include "lib/result.h"
#include "lib/service_client.h"

namespace sluice {

class EcsClient {
 public:
  static Result<std::unique_ptr<EcsClient>> Make(std::shared_ptr<const ClientContext> context);

  // Every cluster ARN, following nextToken.
  Result<std::vector<std::string>> ListClusters();

  // OK when the cluster exists and is ACTIVE; otherwise an Error::InvalidArgument naming it.
  Status CheckCluster(const std::string& cluster);

  // Starts one task. ECS reports capacity and placement problems as `failures`, not errors.
  Result<RunTaskResult> RunTask(const RunTaskRequest& request);
  // The tasks (up to 100 ARNs); ones ECS no longer knows come back as failures "MISSING".
  Result<RunTaskResult> DescribeTasks(const std::string& cluster,
                                      const std::vector<std::string>& task_arns);
  Status StopTask(const std::string& cluster, const std::string& task_arn,
                  const std::string& reason);
  // The "taskDefinition" object of DescribeTaskDefinition (family, family:rev or ARN).
  Result<nlohmann::json> DescribeTaskDefinition(const std::string& task_definition);

  ServiceClient& service() { return *client_; }

 private:
  explicit EcsClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace sluice
