#include "sluice/ecs/ecs_task_target.h"

#include <utility>

#include "sluice/ecs/ecs_task_definition.h"

namespace sluice {

Result<EcsTaskTarget> ResolveEcsTaskTarget(EcsClient& ecs, const RunTaskFlags& flags,
                                           bool needs_container) {
  Status cluster = ecs.CheckCluster(flags.cluster);
  if (!cluster.ok()) return cluster.error();
  auto definition = ecs.DescribeTaskDefinition(flags.task_definition);
  if (!definition.ok()) {
    Error error = definition.error();
    if (error.code == "ClientException") {
      error.message = "no task definition " + flags.task_definition + " (" + error.message +
                      "); check --task-definition and --region";
    }
    return error;
  }
  EcsTaskTarget target;
  target.definition = std::move(definition).value();
  target.essential = EssentialContainers(target.definition);
  if (needs_container || !flags.container.empty()) {
    auto container = ChooseContainer(target.definition, flags.container, flags.task_definition);
    if (!container.ok()) return container.error();
    target.container = *container;
  }
  return target;
}

}  // namespace sluice
