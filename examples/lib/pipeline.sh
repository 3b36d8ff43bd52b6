# examples/lib/pipeline.sh, sourced by the examples that run `sluice-watch ... | sluice-trigger ... &`.
#
# wait_pipeline: waits for the background pipeline just started and exits with its status
# (with pipefail: sluice-trigger's when it failed, else sluice-watch's).
# Why not simply run the pipeline in the foreground: ECS stops a task with a SIGTERM to PID 1
# alone (this script), and a shell runs no trap while a foreground pipeline runs, so the tools
# would never hear of it and be killed 30 s later with work half-done. Here SIGTERM and Ctrl-C
# are passed on to both tools: sluice-watch stops, and sluice-trigger gives running actions
# their grace period and writes a result line for every event it read.
wait_pipeline() {
  local watch trigger
  watch=$(jobs -p | tail -1)  # the first process of the last background job
  trigger=$!                  # its last
  trap 'kill -TERM "$watch" "$trigger" 2>/dev/null || true' INT TERM
  # A trapped signal makes `wait` return early: wait until the job is gone, then take its status.
  while kill -0 "$trigger" 2>/dev/null; do wait "$trigger" || true; done
  wait "$trigger" && exit 0 || exit $?
}
