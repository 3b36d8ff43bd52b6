// The RunTask flags sluice-trigger and sluice-run-once share (--cluster, --task-definition,
// --container, networking, placement, tags), bound to a RunTaskFlags
// (sluice/ecs/run_task_request.h) that BuildRunTaskRequest checks.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "sluice/ecs/run_task_request.h"

namespace sluice {

// `started_by` is the default --started-by (the tool's name).
void AddRunTaskFlags(CLI::App& app, RunTaskFlags& flags, const std::string& started_by);

}  // namespace sluice
