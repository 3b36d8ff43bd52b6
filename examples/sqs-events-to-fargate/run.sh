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
# A message is deleted only after its event was written to sluice-trigger, so a crash loses
# nothing (SQS hands the message out again after its visibility timeout; after 5 times it moves
# to the dead-letter queue). S3 may deliver an event twice: sluice-trigger starts one task for
# the same object version (its clientToken too). Keys arrive decoded ("a b.csv", not "a+b.csv").
# Optional: PREFIX (default uploads/), RESULTS (default results.jsonl), RETRIES (default 2),
# TASK_TIMEOUT (default 1h), CAPACITY_PROVIDER, MAX_PARALLEL (default 4), as in
# ../upload-to-fargate. Ctrl-C or SIGTERM stops both tools cleanly. Exit: 0, 1 a task failed,
# 130 interrupted. Permissions: iam-policy.json.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/wait-job.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/task-placement.sh"

: "${QUEUE_URL:?set QUEUE_URL to the queue setup.sh printed}"
: "${CLUSTER:?set CLUSTER to the ECS cluster the tasks run in}"
: "${TASK_DEFINITION:?set TASK_DEFINITION to the task definition family (or family:revision)}"
PREFIX=${PREFIX:-uploads/}

task_placement

sluice-watch --sqs-queue "$QUEUE_URL" --events created --include "${PREFIX}*/*" |
  sluice-trigger --cluster "$CLUSTER" --task-definition "$TASK_DEFINITION" \
    "${placement[@]}" \
    --env 'INPUT_BUCKET={bucket}' --env 'INPUT_KEY={key}' --env 'INPUT_ETAG={etag}' \
    --wait --timeout "${TASK_TIMEOUT:-1h}" --retries "${RETRIES:-2}" \
    --max-parallel "${MAX_PARALLEL:-4}" --started-by sqs-events-to-fargate \
    >>"${RESULTS:-results.jsonl}" &
wait_job
