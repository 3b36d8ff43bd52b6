#!/usr/bin/env bash
# local-orchestration/service-a.sh: the first service. Each CSV dropped into INBOX becomes an
# artifact in CACHE (summaries/NAME.json, by summarise.sh). It knows nothing of what comes next:
# the next service is triggered by the artifact, never by a message from this one.
#
#   INBOX=inbox CACHE=cache ./service-a.sh
#
# Its job status: one result line per CSV in CACHE/service-a.jsonl.
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
source "$here/../lib/wait-job.sh"
: "${INBOX:?set INBOX to the directory CSVs are dropped into}"
: "${CACHE:?set CACHE to the cache directory}"
export CACHE
mkdir -p "$INBOX" "$CACHE"

sluice-watch --state "$CACHE/.service-a.state" --events created,updated --include '*.csv' "$INBOX" |
  sluice-trigger --retries 2 --exec -- "$here/summarise.sh" >>"$CACHE/service-a.jsonl" &
wait_job
