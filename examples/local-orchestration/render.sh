#!/usr/bin/env bash
# render.sh: service B's job. Reads the summary at SLUICE_URI (file:// locally, s3:// in the
# cloud, with the AWS CLI) and writes its own artifact, a one-line report, to
# OUTPUT/NAME.txt (a directory, or s3://BUCKET/PREFIX).
set -euo pipefail
# The AWS CLI v1 reads AWS_ENDPOINT_URL for some services only.
aws() { command aws ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} "$@"; }
: "${SLUICE_URI:?run by sluice-trigger --exec, which sets SLUICE_URI}"
: "${OUTPUT:?set OUTPUT to a directory or s3://BUCKET/PREFIX}"
case $SLUICE_URI in
  s3://*) summary=$(aws s3 cp --quiet "$SLUICE_URI" -) ;;
  file://*) summary=$(cat -- "${SLUICE_URI#file://}") ;;
  *) echo "render.sh: cannot read $SLUICE_URI" >&2; exit 64 ;;
esac
name=$(basename "$SLUICE_URI" .json)
report=$(jq -r '"\(.source): \(.rows) rows, total \(.total)"' <<<"$summary")
case $OUTPUT in
  s3://*) aws s3 cp --quiet - "${OUTPUT%/}/$name.txt" <<<"$report" ;;
  *) mkdir -p "$OUTPUT" && printf '%s\n' "$report" >"$OUTPUT/.$name.txt" && mv "$OUTPUT/.$name.txt" "$OUTPUT/$name.txt" ;;
esac
