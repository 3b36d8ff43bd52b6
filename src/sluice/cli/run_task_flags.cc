#include "sluice/cli/run_task_flags.h"

namespace sluice {

void AddRunTaskFlags(CLI::App& app, RunTaskFlags& flags, const std::string& started_by) {
  flags.started_by = started_by;
  app.add_option("--cluster", flags.cluster, "ECS cluster to run tasks in");
  app.add_option("--task-definition", flags.task_definition, "FAMILY, FAMILY:REVISION or ARN");
  app.add_option("--container", flags.container,
                 "the container --env and the command apply to (default: the only one)");
  // One value per occurrence: otherwise a repeatable option swallows the positionals after it.
  app.add_option("--subnet", flags.subnets, "awsvpc subnet (repeatable or comma-separated)")
      ->allow_extra_args(false);
  app.add_option("--security-group", flags.security_groups,
                 "awsvpc security group (repeatable or comma-separated)")
      ->allow_extra_args(false);
  app.add_flag("--assign-public-ip", flags.assign_public_ip,
               "give the task a public IP (Fargate in a public subnet without NAT)");
  app.add_option("--launch-type", flags.launch_type, "FARGATE, EC2 or EXTERNAL");
  app.add_option("--capacity-provider", flags.capacity_providers,
                 "NAME[:WEIGHT[:BASE]], e.g. FARGATE_SPOT (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--platform-version", flags.platform_version, "Fargate platform version");
  app.add_option("--tag", flags.tags, "KEY=VALUE tag on each task (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--started-by", flags.started_by,
                 "the task's startedBy (default " + started_by + ", at most 36 characters)");
}

}  // namespace sluice
