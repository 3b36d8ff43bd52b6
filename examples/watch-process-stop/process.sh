#!/usr/bin/env bash
# process.sh stands in for your processing: it reads the object entrypoint.sh was woken for
# (INPUT_URI) and writes one JSON line about it, to OUTPUT when set, else to stdout. Here it
# counts the CSV's data rows, with the AWS CLI, which your image would carry if it used it.
set -euo pipefail
rows=$(aws s3 cp --quiet "$INPUT_URI" - | tail -n +2 | wc -l)
line=$(printf '{"uri":"%s","etag":"%s","size":%s,"rows":%s}' "$INPUT_URI" "$INPUT_ETAG" "$INPUT_SIZE" "$rows")
if [ -n "${OUTPUT:-}" ]; then echo "$line" >>"$OUTPUT"; else echo "$line"; fi
