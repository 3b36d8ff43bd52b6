# examples/lib/replay.sh, sourced by the examples that keep sluice-trigger's results in a file.
#
# cancelled_events RESULTS: prints, one JSON line each, the events whose latest result in the
# file RESULTS is "cancelled": read by an earlier run but not yet started when it was stopped
# (sluice-watch had already recorded them as seen, or deleted their SQS message). Fed to
# sluice-trigger ahead of new events, they are not lost across a stop. Nothing when the file is
# missing or empty.
cancelled_events() {
  [ -s "$1" ] || return 0
  jq -c -s 'group_by(.event.uri + "@" + (.event.etag // "")) | map(last | select(.status == "cancelled")
            | .event) | .[]' "$1"
}
