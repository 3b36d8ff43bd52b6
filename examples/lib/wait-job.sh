# examples/lib/wait-job.sh, sourced by the example scripts.
#
# wait_job: waits for the background job just started (one command or a pipeline) and returns
# its status (a pipeline's under pipefail: its last command's when that failed, else the
# earlier ones'). Meanwhile SIGINT and SIGTERM are passed on to the job's first and last
# commands, and after it the script goes on (or, under set -e, exits with a failed status).
# Why the examples start their tools in the background: ECS stops a task with a SIGTERM to PID 1
# alone (the script), and a shell runs no trap while a foreground command runs, so the tools
# would never hear of it and be killed 30 s later with their work half-done. Passed on, the
# tools stop cleanly: sluice-watch exits 130, sluice-trigger gives running actions their grace
# period and writes a result line for every event it read.
wait_job() {
  local first last
  first=$(jobs -p | tail -1)  # the first process of the last background job
  last=$!                     # its last
  trap 'kill -TERM "$first" "$last" 2>/dev/null || true' INT TERM
  # A trapped signal makes `wait` return early: wait until the job is gone, then take its status.
  while kill -0 "$last" 2>/dev/null; do wait "$last" || true; done
  local status=0
  wait "$last" || status=$?
  trap - INT TERM
  return "$status"
}
