#!/usr/bin/env bash
# Soak (not a test): the 32-stream sample (config/sample-pipeline.yaml: detector, Kafka with previews, metrics on
# 127.0.0.1:9464) against a local broker for MINUTES (default 10), reporting RSS, capture-to-publish latency, frame
# rates and the drop rate every 30 s, then the first window against the last. Usage: scripts/soak.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
pipeline=.build/release/realtime-analytics
[ -x "$pipeline" ] || { echo "soak: build first with 'make release'" >&2; exit 1; }
port=19092
mkdir -p var
scripts/broker.sh stop "$port" 2>/dev/null || true
scripts/broker.sh start "$port" >/dev/null
"$pipeline" --config config/sample-pipeline.yaml 2>var/soak-pipeline.log &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; scripts/broker.sh stop "$port"' EXIT
# The model compiles and each worker warms up before /metrics answers.
for _ in $(seq 60); do curl -sf -o /dev/null http://127.0.0.1:9464/metrics && break; sleep 0.5; done
echo "soak: 32 streams for $minutes min (log: var/soak-pipeline.log, samples: var/soak.json)"
python3 scripts/soak.py --minutes "$minutes" --json var/soak.json
