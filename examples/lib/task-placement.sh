# examples/lib/task-placement.sh, sourced by the examples that start ECS tasks.
#
# task_placement: fills the array `placement` with the sluice-trigger / sluice-run-once flags that
# say where a task runs, from the environment: CAPACITY_PROVIDER (e.g. FARGATE_SPOT, up to 70%
# cheaper for work that can be interrupted and retried) or else the FARGATE launch type, and the
# awsvpc network Fargate needs, SUBNETS and SECURITY_GROUPS (comma-separated IDs).
task_placement() {
  placement=(--launch-type FARGATE)
  [ -z "${CAPACITY_PROVIDER:-}" ] || placement=(--capacity-provider "$CAPACITY_PROVIDER")
  [ -z "${SUBNETS:-}" ] || placement+=(--subnet "$SUBNETS")
  [ -z "${SECURITY_GROUPS:-}" ] || placement+=(--security-group "$SECURITY_GROUPS")
}
