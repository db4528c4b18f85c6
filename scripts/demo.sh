#!/usr/bin/env bash
# Runs the 32-stream sample pipeline (config/sample-pipeline.yaml) from the release build until Ctrl-C.
# Results go to var/sample-output.jsonl; a status line is printed on stderr every 5 s.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
binary=.build/release/realtime-analytics
[ -x "$binary" ] || { echo "demo: $binary is missing; run 'make demo' (it builds first)" >&2; exit 1; }
echo "demo: 32 streams over samples/ — results in var/sample-output.jsonl (tail -f it in another terminal); Ctrl-C stops"
exec "$binary" --config config/sample-pipeline.yaml
