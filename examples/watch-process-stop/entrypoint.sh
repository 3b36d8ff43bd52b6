#!/usr/bin/env bash
# watch-process-stop: the ECS task that waits for one S3 object to change, processes it, and
# stops. Run it as a container's command (taskdef.json, an image from ../Dockerfile), from cron,
# or by hand:
#
#   WATCH_URI=s3://data/input.csv ./entrypoint.sh [COMMAND ARG...]      (default: ./process.sh)
#
# It costs one HEAD request per INTERVAL (default 30s) while it waits: about 90,000 a month at
# 30 s, under $0.04. When the object is created or changes, COMMAND runs once with INPUT_URI,
# INPUT_BUCKET, INPUT_KEY, INPUT_ETAG and INPUT_SIZE in its environment (no shell sees them),
# retried RETRIES times (default 0) if it fails, and the script exits.
# Optional: WAIT_TIMEOUT gives up after that long without a change (exit 124); INITIAL=1 also
# fires for the object as it is at start (process what is there, then stop); STATE remembers the
# version seen, so a change made while no task ran is not missed: s3://bucket/key (taskdef.json
# keeps it under sluice-state/ in the watched bucket: a task's disk goes with the task), or a
# FILE on a volume that outlives the task.
# Exit: 0 processed; 1 the processing failed (its exit code is in the result line on stdout);
# 124 no change within WAIT_TIMEOUT; 130 stopped (SIGTERM from ECS, or Ctrl-C) while waiting
# or processing. Permissions: iam-policy.json.
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
source "$here/../lib/wait-job.sh"

: "${WATCH_URI:?set WATCH_URI to the object to wait for, e.g. s3://data/input.csv}"
[ $# -gt 0 ] || set -- "$here/process.sh"
watch_flags=(--once --interval "${INTERVAL:-30s}" --events created,updated)
[ "${INITIAL:-0}" != 1 ] || watch_flags=(--once --interval "${INTERVAL:-30s}" --initial)
[ -z "${WAIT_TIMEOUT:-}" ] || watch_flags+=(--timeout "$WAIT_TIMEOUT")
[ -z "${STATE:-}" ] || watch_flags+=(--state "$STATE")

event=$(mktemp)
trap 'rm -f "$event"' EXIT
sluice-watch "${watch_flags[@]}" "$WATCH_URI" >"$event" &
wait_job

sluice-trigger --exec --retries "${RETRIES:-0}" --events exists,created,updated \
  --env 'INPUT_URI={uri}' --env 'INPUT_BUCKET={bucket}' --env 'INPUT_KEY={key}' \
  --env 'INPUT_ETAG={etag}' --env 'INPUT_SIZE={size}' -- "$@" <"$event" &
wait_job
