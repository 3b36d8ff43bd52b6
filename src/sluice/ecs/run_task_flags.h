// The RunTask flags sluice-trigger and sluice-run-once share (--cluster, --task-definition,
// --container, networking, placement, tags), parsed into a RunTaskRequest, and the check made
// before any task starts that the cluster, task definition and container exist.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "sluice/services/ecs_client.h"
#include "sluice/services/ecs_types.h"
#include "sluice/util/result.h"

namespace sluice {

struct RunTaskFlags {
  std::string cluster;
  std::string task_definition;
  std::string container;
  std::vector<std::string> subnets;
  std::vector<std::string> security_groups;
  bool assign_public_ip = false;
  std::string launch_type;
  std::vector<std::string> capacity_providers;
  std::string platform_version;
  std::vector<std::string> tags;
  std::string started_by;
};

// `started_by` is the default --started-by (the tool's name).
void AddRunTaskFlags(CLI::App& app, RunTaskFlags& flags, const std::string& started_by);

// Everything but the overrides and the client token; an Error::InvalidArgument (a usage error)
// for a bad value.
Result<RunTaskRequest> BuildRunTaskRequest(const RunTaskFlags& flags);

// "NAME=VALUE" -> (NAME, VALUE); `flag` names the flag in errors.
Result<std::pair<std::string, std::string>> ParseNameValue(const std::string& flag,
                                                           const std::string& text);

// Values given repeatedly or comma-separated ("--subnet a,b --subnet c" -> a, b, c).
std::vector<std::string> SplitCommaLists(const std::vector<std::string>& values);

struct EcsTaskTarget {
  nlohmann::json definition;           // from DescribeTaskDefinition
  std::string container;               // where overrides go (empty when none are needed)
  std::vector<std::string> essential;  // whose exit codes count
};

// Before anything starts: the cluster is ACTIVE, the task definition exists and, when
// `needs_container` (there are overrides), the container is known. Errors name what is wrong.
Result<EcsTaskTarget> ResolveEcsTaskTarget(EcsClient& ecs, const RunTaskFlags& flags,
                                           bool needs_container);

}  // namespace sluice
