// What the tools read from an ECS task definition (the object DescribeTaskDefinition returns):
// container names, which are essential, which container overrides apply to, and where awslogs
// sends a container's output. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sluice/util/result.h"

namespace sluice {

std::vector<std::string> ContainerNames(const nlohmann::json& task_definition);

// The names of the containers marked essential (the default).
std::vector<std::string> EssentialContainers(const nlohmann::json& task_definition);

// The container that --env/--command overrides apply to: `requested` when given (an
// Error::InvalidArgument when the definition has no such container), else the only container
// (an error asking for --container when there are several). `reference` names the task
// definition in messages.
Result<std::string> ChooseContainer(const nlohmann::json& task_definition,
                                    const std::string& requested, const std::string& reference);

struct LogLocation {
  std::string container;
  std::string group;
  std::string stream;  // "<prefix>/<container>/<task id>"
  std::string region;  // awslogs-region, when set
};

// Where the awslogs driver writes `container`'s output for task `task_id`; nullopt when the
// container does not use awslogs or has no stream prefix (then the stream name is not knowable).
std::optional<LogLocation> AwslogsLocation(const nlohmann::json& task_definition,
                                           const std::string& container,
                                           const std::string& task_id);

}  // namespace sluice
