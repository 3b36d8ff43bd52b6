# examples/lib/wait-job.sh, sourced by the example scripts.
#
# wait_job: waits for the background job just started (one command or a pipeline) and returns
# its status (a pipeline's under pipefail: its last command's when that failed, else the
# earlier ones'). Then the script goes on, or under set -e exits with a failed status.
# Why the examples start their tools in the background: ECS stops a task with a SIGTERM to PID 1
# alone (the script), and a shell runs no trap while a foreground command runs, so the tools
# would never hear of it and be killed 30 s later with their work half-done. Here a SIGTERM is
# passed on to the job's first and last commands, and they stop cleanly: sluice-watch exits 130,
# sluice-trigger gives running actions their grace period and writes a result line for every
# event it read. SIGINT is not passed on: a terminal's Ctrl-C reaches every process of the
# group already, and the tools take a second signal to mean "quit at once". (So from outside a
# terminal, stop a script with SIGTERM.)
# When the last command ends first (sluice-trigger refusing its flags, say), the first is
# stopped too, rather than left polling with nobody reading.
wait_job() {
  local first last status=0
  first=$(jobs -p | tail -1)  # the first process of the last background job
  last=$!                     # its last
  trap 'kill -TERM "$first" "$last" 2>/dev/null || true' TERM
  trap : INT
  # Polled rather than `wait`ed: a `wait` that a trapped signal cuts short would take the job's
  # status with it.
  # (A Ctrl-C kills the sleep too: under set -e that must not end the script.)
  while kill -0 "$last" 2>/dev/null; do sleep 0.2 || true; done
  [ "$first" = "$last" ] || kill -TERM "$first" 2>/dev/null || true
  wait "$last" || status=$?
  trap - INT TERM
  return "$status"
}
