#include "sluice/services/ecs_client.h"

#include <algorithm>

#include "sluice/aws/json_protocol.h"

namespace sluice {

Result<std::unique_ptr<EcsClient>> EcsClient::Make(std::shared_ptr<const ClientContext> context) {
  auto client = ServiceClient::Make(std::move(context), kEcs);
  if (!client.ok()) return client.error();
  return std::unique_ptr<EcsClient>(new EcsClient(std::move(client).value()));
}

namespace {

// A List* call's ARNs under `field`, following nextToken.
Result<std::vector<std::string>> ListAll(ServiceClient& client, std::string_view operation,
                                         nlohmann::json input, const char* field) {
  std::vector<std::string> arns;
  std::string token;
  do {
    if (!token.empty()) input["nextToken"] = token;
    auto output = CallJson(client, kEcsJson, operation, input);
    if (!output.ok()) return output.error();
    for (const auto& arn : output->value(field, nlohmann::json::array())) {
      if (arn.is_string()) arns.push_back(arn.get<std::string>());
    }
    token = output->value("nextToken", "");
  } while (!token.empty());
  return arns;
}

}  // namespace

Result<std::vector<std::string>> EcsClient::ListClusters() {
  return ListAll(*client_, "ListClusters", nlohmann::json::object(), "clusterArns");
}

Status EcsClient::CheckCluster(const std::string& cluster) {
  auto output = CallJson(*client_, kEcsJson, "DescribeClusters", {{"clusters", {cluster}}});
  if (!output.ok()) return output.error();
  for (const auto& c : output->value("clusters", nlohmann::json::array())) {
    if (c.is_object() && c.value("status", "") == "ACTIVE") return Status::Ok();
    if (c.is_object()) {
      return Error::InvalidArgument("ECS cluster " + cluster + " is " + c.value("status", "?") +
                                    ", not ACTIVE");
    }
  }
  return Error::InvalidArgument("no ECS cluster named " + cluster +
                                " in this account and region (check --cluster and --region)");
}

Result<RunTaskResult> EcsClient::RunTask(const RunTaskRequest& request) {
  auto output = CallJson(*client_, kEcsJson, "RunTask", ToJson(request));
  if (!output.ok()) return output.error();
  return ParseRunTaskResult(*output);
}

Result<RunTaskResult> EcsClient::DescribeTasks(const std::string& cluster,
                                               const std::vector<std::string>& task_arns) {
  nlohmann::json input = {{"cluster", cluster}, {"tasks", task_arns}};
  auto output = CallJson(*client_, kEcsJson, "DescribeTasks", input);
  if (!output.ok()) return output.error();
  return ParseRunTaskResult(*output);
}

Status EcsClient::StopTask(const std::string& cluster, const std::string& task_arn,
                           const std::string& reason) {
  // ECS keeps at most 255 characters of the reason.
  nlohmann::json input = {{"cluster", cluster}, {"task", task_arn}, {"reason", reason.substr(0, 255)}};
  auto output = CallJson(*client_, kEcsJson, "StopTask", input);
  if (!output.ok()) return output.error();
  return Status::Ok();
}

Result<nlohmann::json> EcsClient::DescribeTaskDefinition(const std::string& task_definition,
                                                         nlohmann::json* tags) {
  nlohmann::json input = {{"taskDefinition", task_definition}, {"include", {"TAGS"}}};
  auto output = CallJson(*client_, kEcsJson, "DescribeTaskDefinition", input);
  if (!output.ok()) return output.error();
  auto definition = output->find("taskDefinition");
  if (definition == output->end() || !definition->is_object()) {
    return Error::Parse("ECS DescribeTaskDefinition returned no taskDefinition");
  }
  if (tags != nullptr) *tags = output->value("tags", nlohmann::json::array());
  return *definition;
}

Result<nlohmann::json> EcsClient::DescribeService(const std::string& cluster,
                                                  const std::string& service) {
  auto output = CallJson(*client_, kEcsJson, "DescribeServices",
                         {{"cluster", cluster}, {"services", {service}}});
  if (!output.ok()) {
    if (output.error().code == "ClusterNotFoundException") {
      return Error::InvalidArgument("no ECS cluster named " + cluster +
                                    " in this account and region (check --cluster and --region)");
    }
    return output.error();
  }
  for (const auto& s : output->value("services", nlohmann::json::array())) {
    if (!s.is_object()) continue;
    if (s.value("status", "") == "INACTIVE") {
      return Error::InvalidArgument("ECS service " + service + " in cluster " + cluster +
                                    " is INACTIVE (deleted)");
    }
    return s;
  }
  return Error::InvalidArgument("no ECS service named " + service + " in cluster " + cluster +
                                " (check --service, --cluster and --region)");
}

Result<nlohmann::json> EcsClient::UpdateService(const std::string& cluster,
                                                const std::string& service,
                                                const ServiceUpdate& update) {
  nlohmann::json input = {{"cluster", cluster}, {"service", service}};
  if (!update.task_definition.empty()) input["taskDefinition"] = update.task_definition;
  if (update.force_new_deployment) input["forceNewDeployment"] = true;
  auto output = CallJson(*client_, kEcsJson, "UpdateService", input);
  if (!output.ok()) return output.error();
  auto s = output->find("service");
  if (s == output->end() || !s->is_object()) return Error::Parse("UpdateService returned no service");
  return *s;
}

Result<nlohmann::json> EcsClient::RegisterTaskDefinition(const nlohmann::json& registration) {
  auto output = CallJson(*client_, kEcsJson, "RegisterTaskDefinition", registration);
  if (!output.ok()) return output.error();
  auto definition = output->find("taskDefinition");
  if (definition == output->end() || !definition->is_object()) {
    return Error::Parse("RegisterTaskDefinition returned no taskDefinition");
  }
  return *definition;
}

Result<std::vector<std::string>> EcsClient::ListActiveRevisions(const std::string& family) {
  std::vector<std::string> arns;
  std::string token;
  do {
    nlohmann::json input = {{"familyPrefix", family}, {"status", "ACTIVE"}, {"sort", "DESC"}};
    if (!token.empty()) input["nextToken"] = token;
    auto output = CallJson(*client_, kEcsJson, "ListTaskDefinitions", input);
    if (!output.ok()) return output.error();
    for (const auto& arn : output->value("taskDefinitionArns", nlohmann::json::array())) {
      // familyPrefix matches "web" and "web-worker" alike: keep this family only.
      if (!arn.is_string()) continue;
      std::string text = arn.get<std::string>();
      size_t slash = text.rfind('/');
      size_t colon = text.rfind(':');
      if (slash != std::string::npos && colon != std::string::npos && colon > slash &&
          colon + 1 < text.size() && text.find_first_not_of("0123456789", colon + 1) == std::string::npos &&
          text.substr(slash + 1, colon - slash - 1) == family) {
        arns.push_back(text);
      }
    }
    token = output->value("nextToken", "");
  } while (!token.empty());
  // Newest first, by revision number, whatever order came back: sort=DESC is a request, and moto
  // (as other emulators) ignores it.
  auto revision = [](const std::string& arn) { return std::stol(arn.substr(arn.rfind(':') + 1)); };
  std::sort(arns.begin(), arns.end(),
            [&](const std::string& a, const std::string& b) { return revision(a) > revision(b); });
  return arns;
}

Result<std::vector<std::string>> EcsClient::ListServices(const std::string& cluster) {
  return ListAll(*client_, "ListServices", {{"cluster", cluster}, {"maxResults", 100}},
                 "serviceArns");
}

Result<std::vector<nlohmann::json>> EcsClient::DescribeServices(
    const std::string& cluster, const std::vector<std::string>& services) {
  auto output = CallJson(*client_, kEcsJson, "DescribeServices",
                         {{"cluster", cluster}, {"services", services}});
  if (!output.ok()) return output.error();
  for (const auto& f : output->value("failures", nlohmann::json::array())) {
    // MISSING: deleted since it was listed. Anything else hides a service that may run.
    if (f.is_object() && f.value("reason", "") != "MISSING") {
      return Error::InvalidArgument("DescribeServices could not describe " + f.value("arn", "?") +
                                    ": " + f.value("reason", "?"));
    }
  }
  std::vector<nlohmann::json> found;
  for (const auto& s : output->value("services", nlohmann::json::array())) {
    if (s.is_object()) found.push_back(s);
  }
  return found;
}

Result<std::vector<std::string>> EcsClient::ListRunningTasks(const std::string& cluster) {
  return ListAll(*client_, "ListTasks",
                 {{"cluster", cluster}, {"desiredStatus", "RUNNING"}, {"maxResults", 100}},
                 "taskArns");
}

Status EcsClient::DeregisterTaskDefinition(const std::string& arn) {
  auto output = CallJson(*client_, kEcsJson, "DeregisterTaskDefinition", {{"taskDefinition", arn}});
  if (!output.ok()) return output.error();
  return Status::Ok();
}

}  // namespace sluice
