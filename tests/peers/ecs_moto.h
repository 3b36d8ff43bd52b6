// ECS on the suite's moto_server for one integration test: a cluster of the test's own (so tests
// sharing one moto see only their own tasks and services) and a client to set things up with and
// to check what a tool did. moto runs a task only from a task definition with bridge networking
// and memory on every container, and only with --launch-type FARGATE (HTTP 500 otherwise, see
// ../shared/notes/local-peers.md): RegisterTaskDefinition and Container give that shape.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sluice/services/ecs_client.h"
#include "tests/peers/peers.h"

namespace sluice::testing {

class EcsMoto {
 public:
  // Connects to `moto` and creates `cluster`; false (and a test failure saying why) when no
  // client could be made.
  bool Start(const MotoServer& moto, const std::string& cluster);

  // One ECS call from the test itself; a failure fails the test and gives an empty object.
  nlohmann::json Call(const std::string& operation, const nlohmann::json& input);

  // Registers the next revision of `family`: bridge networking, these containers and, unless
  // null, these tags. Its ARN; "" (and a test failure) when moto refused it.
  std::string RegisterTaskDefinition(const std::string& family, const nlohmann::json& containers,
                                     const nlohmann::json& tags = nullptr);

  // A container moto can run: `name` on `image`, essential, with 128 MiB of memory.
  static nlohmann::json Container(const std::string& name, const std::string& image);

  // The value of the environment override `name` in a task as DescribeTasks gives it; "" when
  // there is none.
  static std::string TaskEnv(const nlohmann::json& task, const std::string& name);

  // Every task in the cluster, the stopped ones too (ListTasks alone lists the running ones).
  std::vector<std::string> ListTasks();

 private:
  std::string cluster_;
  std::unique_ptr<EcsClient> client_;
};

}  // namespace sluice::testing
