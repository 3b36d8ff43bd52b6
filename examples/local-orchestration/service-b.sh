#!/usr/bin/env bash
# local-orchestration/service-b.sh: the second service, triggered by service A's artifacts
# (never by service A) and writing its own (render.sh). The same script locally and in the
# cloud; only SOURCE changes:
#
#   SOURCE='mqtt://localhost/artifacts/#' OUTPUT=cache/reports ./service-b.sh            # local
#   SOURCE=https://sqs.eu-west-1.amazonaws.com/123456789012/summaries \
#     OUTPUT=s3://my-bucket/reports/ ./service-b.sh                                   # cloud
#
# Locally the artifacts' creation reaches it through MQTT (mirror.sh), in a persistent session
# (CLIENT_ID, default service-b), so what is announced while it is down is handled when it is
# back; in the cloud it reaches it as S3 Event Notifications in an SQS queue
# (../sqs-events-to-fargate/setup.sh with PREFIX=summaries/ makes one), each message deleted
# only once its report is written. Job status: one result line per artifact in STATUS
# (default service-b.jsonl), and with REPORT a status document per job where an app can read
# it: REPORT='mqtt://localhost/status/{basename}' (retained) locally,
# REPORT='s3://my-bucket/status/{key}.json' in the cloud. With JOURNAL, an artifact delivered
# twice is rendered once.
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
source "$here/../lib/wait-job.sh"
: "${SOURCE:?set SOURCE to mqtt://HOST/TOPIC-FILTER or an SQS queue URL}"
: "${OUTPUT:?set OUTPUT to a directory or s3://BUCKET/PREFIX}"
export OUTPUT
case $SOURCE in
  mqtt://* | mqtts://*) source_args=(--client-id "${CLIENT_ID:-service-b}" "$SOURCE") ;;
  https://* | http://*) source_args=(--sqs-queue "$SOURCE") ;;
  *) echo "service-b.sh: SOURCE must be mqtt://, mqtts:// or an SQS queue URL" >&2; exit 2 ;;
esac
extra=()
[ -z "${JOURNAL:-}" ] || extra=(--journal "$JOURNAL")
[ -z "${REPORT:-}" ] || extra+=(--report "$REPORT")

sluice-watch --events created,updated --include '*.json' "${source_args[@]}" |
  sluice-trigger --retries 2 ${extra[@]+"${extra[@]}"} --exec -- "$here/render.sh" \
    >>"${STATUS:-service-b.jsonl}" &
wait_job
