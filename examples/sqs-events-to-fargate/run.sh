#!/usr/bin/env bash
# sqs-events-to-fargate: upload-to-fargate fed by S3 Event Notifications through SQS instead of
# listing the bucket: no LIST requests however many objects the prefix holds, and events within a
# second or two. Every object created under uploads/{user-id}/ starts one Fargate task with its
# bucket and key in INPUT_BUCKET and INPUT_KEY; a line per upload goes to $RESULTS.
#
#   QUEUE_URL=$(BUCKET=my-uploads QUEUE=upload-events ./setup.sh)      # once
#   QUEUE_URL=... CLUSTER=jobs TASK_DEFINITION=process-upload \
#   SUBNETS=subnet-0abc SECURITY_GROUPS=sg-0123 ./run.sh
#
# A message is deleted by sluice-trigger once its task has stopped with success; until then it
# is kept hidden from other readers (--visibility-timeout, renewed while the task runs). So
# nothing is lost when either tool, or the machine, dies: the message comes back. A task that
# failed after its retries, or a message that cannot be read, is left for SQS to hand out again,
# and after 5 deliveries it moves to the dead-letter queue setup.sh made. Stopped with SIGTERM
# (how ECS stops a task) or Ctrl-C, both tools stop cleanly and the events not started go back
# to the queue at once. Several copies of this script on one queue share the work. S3 may
# deliver an event twice: sluice-trigger starts one task per object version within a run, and
# sends a clientToken derived from the event, so that ECS starts one for a redelivered message
# too (for 24 hours). Keys arrive decoded ("a b.csv").
# Optional: PREFIX (default uploads/), RESULTS (default results.jsonl), RETRIES (default 2),
# TASK_TIMEOUT (default 1h), CAPACITY_PROVIDER, MAX_PARALLEL (default 4), GRACE_PERIOD
# (default 20s), as in ../upload-to-fargate. Exit: 0, 1 a task failed (or the queue cannot be
# read), 130 stopped. Permissions: iam-policy.json.
set -euo pipefail
lib=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib
source "$lib/wait-job.sh"
source "$lib/task-placement.sh"

: "${QUEUE_URL:?set QUEUE_URL to the queue setup.sh printed}"
: "${CLUSTER:?set CLUSTER to the ECS cluster the tasks run in}"
: "${TASK_DEFINITION:?set TASK_DEFINITION to the task definition family (or family:revision)}"
PREFIX=${PREFIX:-uploads/}
RESULTS=${RESULTS:-results.jsonl}
task_placement

sluice-watch --sqs-queue "$QUEUE_URL" --events created --include "${PREFIX}*/**" |
  sluice-trigger --cluster "$CLUSTER" --task-definition "$TASK_DEFINITION" "${placement[@]}" \
    --env 'INPUT_BUCKET={bucket}' --env 'INPUT_KEY={key}' --env 'INPUT_ETAG={etag}' \
    --wait --timeout "${TASK_TIMEOUT:-1h}" --retries "${RETRIES:-2}" \
    --max-parallel "${MAX_PARALLEL:-4}" --grace-period "${GRACE_PERIOD:-20s}" \
    --started-by sqs-events-to-fargate >>"$RESULTS" &
wait_job
