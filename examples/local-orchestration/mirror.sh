#!/usr/bin/env bash
# local-orchestration/mirror.sh: mirrors the creation of each artifact in CACHE to an MQTT
# broker, as S3 Event Notifications do for a bucket in the cloud: one message per new or
# changed summary on artifacts/NAME.json, QoS 1, the sluice-watch event line as its payload.
#
#   CACHE=cache BROKER=localhost:1883 ./mirror.sh
#
# With --state, an artifact written while the mirror was down is announced when it is back.
# SLUICE_MQTT_USERNAME and SLUICE_MQTT_PASSWORD, when set, log in to the broker; BROKER may be
# mqtts://HOST:PORT for TLS.
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
source "$here/../lib/wait-job.sh"
: "${CACHE:?set CACHE to the cache directory}"
BROKER=${BROKER:-localhost:1883}
case $BROKER in mqtt://* | mqtts://*) broker=$BROKER ;; *) broker=mqtt://$BROKER ;; esac
mkdir -p "$CACHE/summaries"

sluice-watch --state "$CACHE/.mirror.state" --events created,updated --include '*.json' \
 "$CACHE/summaries" |
  sluice-trigger --retries 5 --retry-delay 1s --publish "$broker/artifacts/{basename}" \
    >>"$CACHE/mirror.jsonl" &
wait_job
