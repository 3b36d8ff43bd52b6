#include "tests/peers/ecs_moto.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "sluice/aws/json_protocol.h"

namespace sluice::testing {

using nlohmann::json;

bool EcsMoto::Start(const MotoServer& moto, const std::string& cluster) {
  auto client = EcsClient::Make(moto.Context());
  if (!client.ok()) {
    ADD_FAILURE() << client.error().ToString();
    return false;
  }
  client_ = std::move(client).value();
  cluster_ = cluster;
  Call("CreateCluster", {{"clusterName", cluster_}});
  return true;
}

json EcsMoto::Call(const std::string& operation, const json& input) {
  auto output = CallJson(client_->service(), kEcsJson, operation, input);
  EXPECT_TRUE(output.ok()) << operation << ": " << output.error().ToString();
  return output.ok() ? *output : json::object();
}

std::string EcsMoto::RegisterTaskDefinition(const std::string& family, const json& containers,
                                            const json& tags) {
  json registration = {
      {"family", family}, {"networkMode", "bridge"}, {"containerDefinitions", containers}};
  if (!tags.is_null()) registration["tags"] = tags;
  auto registered = client_->RegisterTaskDefinition(registration);
  EXPECT_TRUE(registered.ok()) << registered.error().ToString();
  return registered.ok() ? registered->value("taskDefinitionArn", "") : "";
}

json EcsMoto::Container(const std::string& name, const std::string& image) {
  return {{"name", name}, {"image", image}, {"memory", 128}, {"essential", true}};
}

std::string EcsMoto::TaskEnv(const nlohmann::json& task, const std::string& name) {
  if (!task.is_object() || !task.contains("overrides")) return "";
  for (const auto& container : task["overrides"].value("containerOverrides", nlohmann::json::array())) {
    for (const auto& pair : container.value("environment", nlohmann::json::array())) {
      if (pair.value("name", "") == name) return pair.value("value", "");
    }
  }
  return "";
}

std::vector<std::string> EcsMoto::ListTasks() {
  std::vector<std::string> arns;
  for (const json& arn : Call("ListTasks", {{"cluster", cluster_}, {"desiredStatus", "STOPPED"}})
                             .value("taskArns", json::array())) {
    arns.push_back(arn.get<std::string>());
  }
  for (const json& arn :
       Call("ListTasks", {{"cluster", cluster_}}).value("taskArns", json::array())) {
    if (std::find(arns.begin(), arns.end(), arn) == arns.end()) arns.push_back(arn);
  }
  return arns;
}

}  // namespace sluice::testing
