#!/usr/bin/env bash
# local-to-cloud: one pipeline, run first on a laptop with local files and a local process, then
# in the cloud with S3 and Fargate, unchanged but for its targets:
#
#   ./pipeline.sh data/orders.csv                                  # local: no AWS at all
#   CLUSTER=jobs TASK_DEFINITION=process-orders SUBNETS=subnet-0abc ./pipeline.sh s3://data/orders.csv
#
# It waits for INPUT to be created or to change (sluice-watch --once: a local file or an S3
# object, the same events), then runs one processing job to completion with INPUT_URI set to
# it (sluice-run-once), streams its output, and exits with the job's exit code. Locally the job
# is ./process.sh (--local); with CLUSTER set it is a task of TASK_DEFINITION, whose container
# runs the same process.sh (taskdef.json; an image from ../Dockerfile), its logs streamed from
# CloudWatch. Optional: INTERVAL between checks (default 10s), WAIT_TIMEOUT for the change
# (exit 124), JOB_TIMEOUT for the job (default 1h; the task is stopped, exit 124), SUBNETS and
# SECURITY_GROUPS for the task, CAPACITY_PROVIDER (e.g. FARGATE_SPOT).
# Exit: the job's exit code; 1 a failure before it ran; 124 a timeout; 130 interrupted (a task
# is stopped first). Permissions for the cloud run: iam-policy.json.
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
source "$here/../lib/wait-job.sh"
source "$here/../lib/task-placement.sh"

input=${1:?usage: pipeline.sh FILE | s3://BUCKET/KEY}
watch_flags=(--once --interval "${INTERVAL:-10s}" --events created,updated)
[ -z "${WAIT_TIMEOUT:-}" ] || watch_flags+=(--timeout "$WAIT_TIMEOUT")

if [ -n "${CLUSTER:-}" ]; then
  : "${TASK_DEFINITION:?set TASK_DEFINITION along with CLUSTER}"
  task_placement
  target=(--cluster "$CLUSTER" --task-definition "$TASK_DEFINITION" "${placement[@]}")
  job=()  # the task definition's own command: process.sh in the image
else
  target=(--local)
  job=(-- "$here/process.sh")
fi

event=$(mktemp)
trap 'rm -f "$event"' EXIT
sluice-watch "${watch_flags[@]}" "$input" >"$event" &
wait_job
uri=$(jq -r .uri "$event")
echo "pipeline: $(jq -r .event "$event") $uri" >&2

sluice-run-once "${target[@]}" --env "INPUT_URI=$uri" --timeout "${JOB_TIMEOUT:-1h}" ${job[@]+"${job[@]}"} &
wait_job
