# examples/lib/replay.sh, sourced by the examples that keep sluice-trigger's results in a file.
#
# cancelled_events RESULTS: prints, one JSON line each, the events whose latest result in the
# file RESULTS is "cancelled": read by an earlier run but not started when it was stopped
# (sluice-watch had already recorded them as seen, or deleted their SQS message). Fed to
# sluice-trigger ahead of new events, they are not lost across a stop. Nothing when the file is
# missing or empty. Read line by line: a torn last line (a crash mid-write) or any line that is
# not a result is skipped, and a file that cannot be read is said on stderr, never fatal.
cancelled_events() {
  [ -s "$1" ] || return 0
  jq -nRc 'reduce (inputs | fromjson? | objects | select(.event | type == "object")) as $r
             ({}; .[$r.event.uri + "@" + ($r.event.etag // "")] = $r)
           | .[] | select(.status == "cancelled") | .event' "$1" ||
    echo "replay: cannot read $1; events cancelled by an earlier run are not replayed" >&2
}
