# examples/lib/wait-job.sh, sourced by the example scripts.
#
# wait_job: waits for the background job just started (one command or a pipeline) and returns
# its status (a pipeline's under pipefail: its last command's when that failed, else the
# earlier ones'). Then the script goes on, or under set -e exits with a failed status.
# Why the examples start their tools in the background: ECS stops a task with a SIGTERM to PID 1
# alone (the script), as `docker run` without -t passes a Ctrl-C on, and a shell runs no trap
# while a foreground command runs, so the tools would never hear of it and be killed 30 s later
# with their work half-done. Here SIGTERM and SIGINT are passed on to the job's first and last
# commands as SIGTERM, and they stop cleanly: sluice-watch exits 130, sluice-trigger gives
# running actions their grace period and writes a result line for every event it read. (When
# the tools got the signal already, from a terminal's Ctrl-C or a SIGTERM to the whole process
# group, the one passed on arrives within the same half second, which they count as the same
# stop, not as a second "quit at once".)
# When the last command ends first (sluice-trigger refusing its flags, say), the first is
# stopped too, rather than left polling with nobody reading.
wait_job() {
  local first last status=0
  first=$(jobs -p | tail -1)  # the first process of the last background job
  last=$!                     # its last
  trap 'kill -TERM "$first" "$last" 2>/dev/null || true' INT TERM
  # Polled rather than `wait`ed: a `wait` that a trapped signal cuts short would take the job's
  # status with it. (A Ctrl-C kills the sleep too: under set -e that must not end the script.)
  while kill -0 "$last" 2>/dev/null; do sleep 0.2 || true; done
  if [ "$first" != "$last" ] && kill -0 "$first" 2>/dev/null; then kill -TERM "$first" 2>/dev/null || true; fi
  while kill -0 "$first" 2>/dev/null; do sleep 0.2 || true; done
  wait "$last" || status=$?
  trap - INT TERM
  return "$status"
}
