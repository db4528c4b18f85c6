#!/usr/bin/env bash
# Soak (not a test): the demo for MINUTES (default 10): the 32-stream sample (config/sample-pipeline.yaml: detector,
# Kafka with previews, metrics on 127.0.0.1:9464) and the dashboard reading it, against a local broker, reporting RSS, capture-to-publish latency, frame
# rates, the drop rate and the broker's CPU and RSS every 30 s, then the first window against the last; then what the
# topics hold, and what they hold after the broker restarts.
#
#   scripts/soak.sh [MINUTES] [noida|tansu]
#
# The topics are created first with RETENTION_MS (default: the demo's, 600000): growth is bounded by the broker's
# retention, as in the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
kind=${2:-noida}
retention_ms=${RETENTION_MS:-600000}
pipeline=.build/release/realtime-analytics
dashboard=.build/release/realtime-analytics-dashboard
[ -x "$pipeline" ] && [ -x "$dashboard" ] || { echo "soak: build first with 'make release'" >&2; exit 1; }
port=19092
topics=(analytics.events analytics.zone-events)
mkdir -p var
scripts/broker.sh stop "$port" 2>/dev/null || true
scripts/broker.sh start "$port" "$kind" >/dev/null
python3 scripts/kafka-topics.py create --bootstrap "127.0.0.1:$port" --retention-ms "$retention_ms" "${topics[@]}"
"$dashboard" --config config/sample-pipeline.yaml --port 8080 2>var/soak-dashboard.log &
dashboard_pid=$!
"$pipeline" --config config/sample-pipeline.yaml 2>var/soak-pipeline.log &
pid=$!
trap 'kill -TERM "$pid" "$dashboard_pid" 2>/dev/null; wait "$pid" "$dashboard_pid" 2>/dev/null; scripts/broker.sh stop "$port"' EXIT
# The model compiles and each worker warms up before /metrics answers.
for _ in $(seq 60); do curl -sf -o /dev/null http://127.0.0.1:9464/metrics && break; sleep 0.5; done
echo "soak: 32 streams for $minutes min on $kind, retention.ms $retention_ms (log: var/soak-pipeline.log, samples: var/soak-$kind.json)"
python3 scripts/soak.py --minutes "$minutes" --json "var/soak-$kind.json" --broker-pid "$(cat "var/broker-$port.pid")"
kill -TERM "$pid" "$dashboard_pid" 2>/dev/null; wait "$pid" "$dashboard_pid" 2>/dev/null || true
echo "soak: the topics hold: $(python3 scripts/kafka-topics.py count --bootstrap "127.0.0.1:$port" "${topics[@]}")"
scripts/broker.sh restart "$port" >/dev/null
echo "soak: after a broker restart: $(python3 scripts/kafka-topics.py count --bootstrap "127.0.0.1:$port" "${topics[@]}")"
