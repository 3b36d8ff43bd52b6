#!/usr/bin/env bash
# summarise.sh: service A's job. Reads the CSV at SLUICE_KEY (a path, from sluice-watch's event)
# and writes its artifact, CACHE/summaries/NAME.json: {"source", "rows", "total"} (the last
# column summed). Written to a temporary name first and renamed, so that a watcher of the cache
# never sees half an artifact.
set -euo pipefail
: "${SLUICE_KEY:?run by sluice-trigger --exec, which sets SLUICE_KEY}"
: "${CACHE:?set CACHE to the cache directory}"
name=$(basename "$SLUICE_KEY" .csv)
mkdir -p "$CACHE/summaries"
tmp=$(mktemp "$CACHE/summaries/.$name.XXXXXX")
awk -F, -v src="$SLUICE_KEY" '
  NR > 1 { rows++; total += $NF }
  END { printf "{\"source\":\"%s\",\"rows\":%d,\"total\":%.2f}\n", src, rows, total }' "$SLUICE_KEY" >"$tmp"
mv "$tmp" "$CACHE/summaries/$name.json"
