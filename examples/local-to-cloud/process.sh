#!/usr/bin/env bash
# process.sh stands in for the job: the same script on a laptop and in the task's container.
# It reads INPUT_URI (a local path, or s3:// with the AWS CLI) and prints one JSON line: the
# CSV's data rows and the sum of its last column.
set -euo pipefail
case "$INPUT_URI" in
  s3://*) read_input() { aws s3 cp --quiet "$INPUT_URI" -; } ;;
  file://*) read_input() { cat -- "${INPUT_URI#file://}"; } ;;  # sluice-watch's local files
  *) read_input() { cat -- "$INPUT_URI"; } ;;
esac
# An empty input is an error of its own (65, EX_DATAERR), which the pipeline exits with.
read_input | awk -F, -v uri="$INPUT_URI" '
  NR > 1 { rows++; total += $NF }
  END {
    if (NR == 0) { print "process.sh: " uri " is empty" > "/dev/stderr"; exit 65 }
    printf "{\"uri\":\"%s\",\"rows\":%d,\"total\":%.2f}\n", uri, rows, total
  }'
