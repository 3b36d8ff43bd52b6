// ECS over AWS JSON 1.1. The tool issues (deploy, run-once, trigger) add their calls here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/result.h"
#include "lib/service_client.h"

namespace sluice {

class EcsClient {
 public:
  static Result<std::unique_ptr<EcsClient>> Make(std::shared_ptr<const ClientContext> context);

  // Every cluster ARN, following nextToken.
  Result<std::vector<std::string>> ListClusters();

  ServiceClient& service() { return *client_; }

 private:
  explicit EcsClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace sluice
