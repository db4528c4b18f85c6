#!/usr/bin/env bash
# Runs the 32-stream sample (config/sample-pipeline.yaml) from the release build until Ctrl-C: starts the local
# broker on 127.0.0.1:19092, runs the pipeline publishing to it (status line every 5 s), stops the broker at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
binary=.build/release/realtime-analytics
[ -x "$binary" ] || { echo "demo: $binary is missing; run 'make demo' (it builds first)" >&2; exit 1; }
port=19092
scripts/broker.sh start "$port"
trap 'scripts/broker.sh stop "$port"' EXIT
cat <<TXT
demo: 32 streams over samples/ -> Kafka topic analytics.events on 127.0.0.1:$port (JSON lines also in var/sample-output.jsonl)
demo: watch the messages in another terminal: $binary consume --config config/sample-pipeline.yaml
demo: Ctrl-C stops
TXT
"$binary" --config config/sample-pipeline.yaml
