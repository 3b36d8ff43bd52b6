#!/usr/bin/env bash
# upload-to-fargate: every file uploaded under s3://$BUCKET/uploads/{user-id}/ starts one Fargate
# task that gets the object's bucket and key as INPUT_BUCKET and INPUT_KEY, with retries, and a
# JSON line per upload in $RESULTS. What people build with S3 events + Lambda + Step Functions,
# as one pipeline that can run anywhere (a laptop, CI, or a small always-on ECS service).
#
#   BUCKET=my-uploads CLUSTER=jobs TASK_DEFINITION=process-upload \
#   SUBNETS=subnet-0abc,subnet-0def SECURITY_GROUPS=sg-0123 ./run.sh
#
# Optional: PREFIX (default uploads/), INTERVAL between listings (default 30s; one LIST request
# per 1,000 objects each time), STATE (default upload-to-fargate.state: what was already seen,
# so a restart triggers only what arrived meanwhile and nothing twice), RESULTS (default
# results.jsonl), RETRIES (default 2), TASK_TIMEOUT (default 1h; a task still running then is
# stopped and retried), CAPACITY_PROVIDER (e.g. FARGATE_SPOT, instead of the FARGATE launch
# type), MAX_PARALLEL tasks at once (default 4), GRACE_PERIOD (default 20s, see below).
# Stop it with SIGTERM (how ECS stops the task it runs in) or Ctrl-C: both tools stop cleanly.
# Running tasks get GRACE_PERIOD, under ECS's default 30 s stopTimeout, to end, and every
# upload read ends in a line in $RESULTS; those not started yet say "cancelled" and go first at
# the next start. What a crash (kill -9, the host gone) interrupts is not replayed: uploads seen
# but not yet started then have no line in $RESULTS.
# Exit: 0 every task succeeded, 1 one failed (or the watch failed: a wrong bucket, no access),
# 130 stopped. Permissions: iam-policy.json. A task definition to start from: taskdef.json.
set -euo pipefail
lib=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib
source "$lib/wait-job.sh"
source "$lib/task-placement.sh"
source "$lib/replay.sh"

: "${BUCKET:?set BUCKET to the bucket users upload to}"
: "${CLUSTER:?set CLUSTER to the ECS cluster the tasks run in}"
: "${TASK_DEFINITION:?set TASK_DEFINITION to the task definition family (or family:revision)}"
PREFIX=${PREFIX:-uploads/}
RESULTS=${RESULTS:-results.jsonl}
task_placement

# Only uploads/{user-id}/... counts: a file dropped straight into uploads/ is not anyone's.
{
  cancelled_events "$RESULTS"
  exec sluice-watch --interval "${INTERVAL:-30s}" --state "${STATE:-upload-to-fargate.state}" \
    --events created,updated --include "${PREFIX}*/**" "s3://$BUCKET/$PREFIX"
} |
  sluice-trigger --cluster "$CLUSTER" --task-definition "$TASK_DEFINITION" "${placement[@]}" \
    --env 'INPUT_BUCKET={bucket}' --env 'INPUT_KEY={key}' --env 'INPUT_ETAG={etag}' \
    --wait --timeout "${TASK_TIMEOUT:-1h}" --retries "${RETRIES:-2}" \
    --max-parallel "${MAX_PARALLEL:-4}" --grace-period "${GRACE_PERIOD:-20s}" \
    --started-by upload-to-fargate >>"$RESULTS" &
wait_job
