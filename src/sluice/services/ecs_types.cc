#include "sluice/services/ecs_types.h"

#include "sluice/util/time_format.h"

namespace sluice {
namespace {

using nlohmann::json;

json NameValues(const std::vector<std::pair<std::string, std::string>>& pairs, const char* k,
                const char* v) {
  json list = json::array();
  for (const auto& [name, value] : pairs) list.push_back({{k, name}, {v, value}});
  return list;
}

// Reads `name` into `out` when present; false when it has another type than a string.
bool ReadString(const json& object, const char* name, std::string& out) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

// ECS timestamps are epoch seconds (a number); accept ISO text too, as some emulators send it.
std::optional<SystemTime> ReadTime(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (it->is_number()) return FromEpochSeconds(it->get<double>());
  if (it->is_string()) return ParseIso8601(it->get<std::string>());
  return std::nullopt;
}

}  // namespace

json ToJson(const RunTaskRequest& r) {
  json j = {{"cluster", r.cluster}, {"taskDefinition", r.task_definition}, {"count", 1}};
  if (!r.launch_type.empty()) j["launchType"] = r.launch_type;
  if (!r.capacity_providers.empty()) {
    json strategy = json::array();
    for (const CapacityProviderItem& item : r.capacity_providers) {
      strategy.push_back({{"capacityProvider", item.name}, {"weight", item.weight}, {"base", item.base}});
    }
    j["capacityProviderStrategy"] = strategy;
  }
  if (!r.platform_version.empty()) j["platformVersion"] = r.platform_version;
  if (!r.subnets.empty() || !r.security_groups.empty() || r.assign_public_ip) {
    json awsvpc = {{"subnets", r.subnets}};
    if (!r.security_groups.empty()) awsvpc["securityGroups"] = r.security_groups;
    if (r.assign_public_ip) awsvpc["assignPublicIp"] = *r.assign_public_ip ? "ENABLED" : "DISABLED";
    j["networkConfiguration"] = {{"awsvpcConfiguration", awsvpc}};
  }
  json overrides = json::object();
  if (!r.container_overrides.empty()) {
    json containers = json::array();
    for (const ContainerOverride& c : r.container_overrides) {
      json o = {{"name", c.name}};
      if (c.command) o["command"] = *c.command;
      if (!c.environment.empty()) o["environment"] = NameValues(c.environment, "name", "value");
      containers.push_back(o);
    }
    overrides["containerOverrides"] = containers;
  }
  if (!r.cpu.empty()) overrides["cpu"] = r.cpu;
  if (!r.memory.empty()) overrides["memory"] = r.memory;
  if (!r.task_role_arn.empty()) overrides["taskRoleArn"] = r.task_role_arn;
  if (!overrides.empty()) j["overrides"] = overrides;
  if (!r.tags.empty()) j["tags"] = NameValues(r.tags, "key", "value");
  if (!r.started_by.empty()) j["startedBy"] = r.started_by;
  if (!r.client_token.empty()) j["clientToken"] = r.client_token;
  return j;
}

Result<EcsTask> ParseEcsTask(const json& task) {
  if (!task.is_object()) return Error::Parse("ECS returned a task that is not an object");
  EcsTask t;
  if (!ReadString(task, "taskArn", t.arn) ||
      !ReadString(task, "taskDefinitionArn", t.task_definition_arn) ||
      !ReadString(task, "lastStatus", t.last_status) ||
      !ReadString(task, "stopCode", t.stop_code) ||
      !ReadString(task, "stoppedReason", t.stopped_reason)) {
    return Error::Parse("ECS returned a task with a malformed field");
  }
  auto containers = task.find("containers");
  if (containers != task.end() && containers->is_array()) {
    for (const json& c : *containers) {
      if (!c.is_object()) continue;
      EcsContainer container;
      if (!ReadString(c, "name", container.name) ||
          !ReadString(c, "image", container.image) ||
          !ReadString(c, "imageDigest", container.image_digest) ||
          !ReadString(c, "lastStatus", container.last_status) ||
          !ReadString(c, "reason", container.reason)) {
        return Error::Parse("ECS returned a container with a malformed field");
      }
      auto code = c.find("exitCode");
      if (code != c.end() && code->is_number_integer()) container.exit_code = code->get<int>();
      t.containers.push_back(std::move(container));
    }
  }
  t.started_at = ReadTime(task, "startedAt");
  t.stopped_at = ReadTime(task, "stoppedAt");
  return t;
}

Result<RunTaskResult> ParseRunTaskResult(const json& output) {
  RunTaskResult result;
  if (!output.is_object()) return Error::Parse("ECS returned a response that is not an object");
  for (const json& task : output.value("tasks", json::array())) {
    auto parsed = ParseEcsTask(task);
    if (!parsed.ok()) return parsed.error();
    result.tasks.push_back(std::move(parsed).value());
  }
  for (const json& f : output.value("failures", json::array())) {
    if (!f.is_object()) continue;
    EcsFailure failure;
    ReadString(f, "arn", failure.arn);
    ReadString(f, "reason", failure.reason);
    ReadString(f, "detail", failure.detail);
    result.failures.push_back(std::move(failure));
  }
  return result;
}

std::string DescribeFailures(const std::vector<EcsFailure>& failures) {
  std::string text;
  for (const EcsFailure& f : failures) {
    text += (text.empty() ? "" : "; ") + f.reason + (f.detail.empty() ? "" : " (" + f.detail + ")");
  }
  return text.empty() ? "no reason given" : text;
}

std::string TaskIdFromArn(const std::string& arn) {
  size_t slash = arn.rfind('/');
  return slash == std::string::npos ? arn : arn.substr(slash + 1);
}

}  // namespace sluice
