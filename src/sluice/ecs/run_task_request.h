// The RunTask settings sluice-trigger and sluice-run-once share, as the user gave them (the
// values of --cluster, --task-definition, --container, networking, placement and tags: their
// binding to flags is sluice/cli/run_task_flags.h), checked and turned into a RunTaskRequest.
// Pure: the ECS calls that check the cluster and task definition are ecs_task_target.h.
#pragma once

#include <string>
#include <utility>
#include <vector>

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

// Everything but the overrides and the client token; an Error::InvalidArgument (a usage error)
// for a bad value.
Result<RunTaskRequest> BuildRunTaskRequest(const RunTaskFlags& flags);

// A --client-token as ECS takes it: at most 64 printable ASCII characters, no spaces; an
// Error::InvalidArgument otherwise.
Status CheckClientToken(const std::string& token);

// A fresh token for one invocation ("sluice-" + 32 random hex digits): RunTask sent again by
// an HTTP retry after a timeout or a 5xx then returns the task the first call started instead
// of starting a second one (ECS keeps a token for 24 hours per cluster).
std::string NewClientToken();

// "NAME=VALUE" -> (NAME, VALUE); `flag` names the flag in errors.
Result<std::pair<std::string, std::string>> ParseNameValue(const std::string& flag,
                                                           const std::string& text);

// Values given repeatedly or comma-separated ("--subnet a,b --subnet c" -> a, b, c).
std::vector<std::string> SplitCommaLists(const std::vector<std::string>& values);

}  // namespace sluice
