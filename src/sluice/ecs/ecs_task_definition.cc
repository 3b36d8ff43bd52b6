#include "sluice/ecs/ecs_task_definition.h"

#include <algorithm>

namespace sluice {
namespace {

using nlohmann::json;

const json& Containers(const json& task_definition) {
  static const json kNone = json::array();
  if (!task_definition.is_object()) return kNone;
  auto it = task_definition.find("containerDefinitions");
  return it != task_definition.end() && it->is_array() ? *it : kNone;
}

std::string Name(const json& container) {
  if (!container.is_object()) return "";
  auto it = container.find("name");
  return it != container.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::vector<std::string> ContainerNames(const json& task_definition) {
  std::vector<std::string> names;
  for (const json& c : Containers(task_definition)) {
    if (!Name(c).empty()) names.push_back(Name(c));
  }
  return names;
}

std::vector<std::string> EssentialContainers(const json& task_definition) {
  std::vector<std::string> names;
  for (const json& c : Containers(task_definition)) {
    if (Name(c).empty()) continue;
    auto essential = c.find("essential");
    if (essential == c.end() || !essential->is_boolean() || essential->get<bool>()) {
      names.push_back(Name(c));
    }
  }
  return names;
}

Result<std::string> ChooseContainer(const json& task_definition, const std::string& requested,
                                    const std::string& reference) {
  std::vector<std::string> names = ContainerNames(task_definition);
  std::string listed;
  for (const std::string& n : names) listed += (listed.empty() ? "" : ", ") + n;
  if (!requested.empty()) {
    if (std::find(names.begin(), names.end(), requested) != names.end()) return requested;
    return Error::InvalidArgument("task definition " + reference + " has no container named " +
                                  requested + " (it has " + listed + ")");
  }
  if (names.size() == 1) return names.front();
  return Error::InvalidArgument("task definition " + reference + " has " +
                                std::to_string(names.size()) + " containers (" + listed +
                                "): name the one to override with --container");
}

std::optional<LogLocation> AwslogsLocation(const json& task_definition,
                                           const std::string& container,
                                           const std::string& task_id) {
  for (const json& c : Containers(task_definition)) {
    if (Name(c) != container) continue;
    auto config = c.find("logConfiguration");
    if (config == c.end() || !config->is_object() || config->value("logDriver", "") != "awslogs") {
      return std::nullopt;
    }
    json options = config->value("options", json::object());
    if (!options.is_object()) return std::nullopt;
    std::string group = options.value("awslogs-group", "");
    std::string prefix = options.value("awslogs-stream-prefix", "");
    if (group.empty() || prefix.empty()) return std::nullopt;
    return LogLocation{container, group, prefix + "/" + container + "/" + task_id,
                       options.value("awslogs-region", "")};
  }
  return std::nullopt;
}

}  // namespace sluice
