// ECS over AWS JSON 1.1. The tool issues (deploy, run-once, trigger) add their calls here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sluice/aws/service_client.h"
#include "sluice/services/ecs_types.h"
#include "sluice/util/result.h"

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
  // The "taskDefinition" object of DescribeTaskDefinition (family, family:rev or ARN); its tags
  // into `tags` when given.
  Result<nlohmann::json> DescribeTaskDefinition(const std::string& task_definition,
                                                nlohmann::json* tags = nullptr);

  // The service's description ("services"[0] of DescribeServices); an Error::InvalidArgument
  // naming it when ECS reports it MISSING or INACTIVE.
  Result<nlohmann::json> DescribeService(const std::string& cluster, const std::string& service);
  struct ServiceUpdate {
    std::string task_definition;  // empty: unchanged
    bool force_new_deployment = false;
  };
  // UpdateService; returns the updated service description.
  Result<nlohmann::json> UpdateService(const std::string& cluster, const std::string& service,
                                       const ServiceUpdate& update);
  // RegisterTaskDefinition; returns the new "taskDefinition".
  Result<nlohmann::json> RegisterTaskDefinition(const nlohmann::json& registration);
  // ARNs of the family's ACTIVE revisions, newest first (all pages).
  Result<std::vector<std::string>> ListActiveRevisions(const std::string& family);
  Status DeregisterTaskDefinition(const std::string& arn);

  // What a clean-up asks to know what runs. Every service ARN of the cluster (all pages).
  Result<std::vector<std::string>> ListServices(const std::string& cluster);
  // DescribeServices for up to 10; MISSING ones are left out, any other failure is an error.
  Result<std::vector<nlohmann::json>> DescribeServices(const std::string& cluster,
                                                       const std::vector<std::string>& services);
  // Every task ARN of the cluster whose desired status is RUNNING (all pages): the tasks running
  // and the ones about to.
  Result<std::vector<std::string>> ListRunningTasks(const std::string& cluster);

  ServiceClient& service() { return *client_; }

 private:
  explicit EcsClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace sluice
