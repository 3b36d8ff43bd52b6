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
# results.jsonl), RETRIES (default 2), TASK_TIMEOUT (default 1h), CAPACITY_PROVIDER (e.g.
# FARGATE_SPOT, instead of the FARGATE launch type), MAX_PARALLEL tasks at once (default 4).
# Ctrl-C or SIGTERM (ECS stopping the task this runs in) stops both tools cleanly: running
# tasks get 30 s, and every upload read ends in a line in $RESULTS (status cancelled for one not
# started yet). Exit: 0 every task succeeded, 1 one failed, 130 interrupted.
# Permissions: iam-policy.json. A task definition to start from: taskdef.json.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/wait-job.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/task-placement.sh"

: "${BUCKET:?set BUCKET to the bucket users upload to}"
: "${CLUSTER:?set CLUSTER to the ECS cluster the tasks run in}"
: "${TASK_DEFINITION:?set TASK_DEFINITION to the task definition family (or family:revision)}"
PREFIX=${PREFIX:-uploads/}

task_placement

# Only uploads/{user-id}/... counts: a file dropped straight into uploads/ is not anyone's.
sluice-watch --interval "${INTERVAL:-30s}" --state "${STATE:-upload-to-fargate.state}" \
    --events created,updated --include "${PREFIX}*/*" "s3://$BUCKET/$PREFIX" |
  sluice-trigger --cluster "$CLUSTER" --task-definition "$TASK_DEFINITION" \
    "${placement[@]}" \
    --env 'INPUT_BUCKET={bucket}' --env 'INPUT_KEY={key}' --env 'INPUT_ETAG={etag}' \
    --wait --timeout "${TASK_TIMEOUT:-1h}" --retries "${RETRIES:-2}" \
    --max-parallel "${MAX_PARALLEL:-4}" --started-by upload-to-fargate \
    >>"${RESULTS:-results.jsonl}" &
wait_job
