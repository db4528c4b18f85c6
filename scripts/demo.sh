#!/usr/bin/env bash
# The demo, from the release build, until Ctrl-C: a local broker on 127.0.0.1:19092, the dashboard on
# http://127.0.0.1:8080/, the archive (var/archive.sqlite, read by the dashboard's History view and by `report`), the
# alerts process with a webhook receiver that prints each notification (scripts/alert-receiver.py), and the 32-stream
# sample pipeline (config/sample-pipeline.yaml) publishing to the broker with previews. Everything it
# started is stopped at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
pipeline=.build/release/realtime-analytics
dashboard=.build/release/realtime-analytics-dashboard
for binary in "$pipeline" "$dashboard"; do
  [ -x "$binary" ] || { echo "demo: $binary is missing; run 'make demo' (it builds first)" >&2; exit 1; }
done
port=19092
# The demo's broker (BROKER=noida or tansu) and how long its topics keep messages (RETENTION_MS): see
# docs/operations.md, "The demo's broker", for what was measured and why noida-db is the default.
broker=${BROKER:-noida}
retention_ms=${RETENTION_MS:-600000}
scripts/broker.sh start "$port" "$broker"
python3 scripts/kafka-topics.py create --bootstrap "127.0.0.1:$port" --retention-ms "$retention_ms" \
  analytics.events analytics.zone-events analytics.alerts analytics.alerts.dead-letter
dashboard_pid=""
archive_pid=""
alerts_pid=""
receiver_pid=""
cleanup() {
  for pid in $dashboard_pid $archive_pid $alerts_pid $receiver_pid; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  scripts/broker.sh stop "$port"
}
trap cleanup EXIT
"$dashboard" --config config/sample-pipeline.yaml --port 8080 2>var/demo-dashboard.log &
dashboard_pid=$!
"$pipeline" archive --config config/sample-pipeline.yaml 2>var/demo-archive.log &
archive_pid=$!
# The sample's webhook delivery posts here (alerts.deliveries, demo-receiver); what arrives goes to var/demo-alerts.txt.
python3 scripts/alert-receiver.py --port 9480 --secret demo-secret-change-me >var/demo-alerts.txt 2>&1 &
receiver_pid=$!
"$pipeline" alerts --config config/sample-pipeline.yaml 2>var/demo-alerts.log &
alerts_pid=$!
cat <<TXT

  Dashboard:  http://127.0.0.1:8080/      (log: var/demo-dashboard.log; History: counts from the archive)
  Archive:    var/archive.sqlite           (log: var/demo-archive.log)
  Alerts:     tail -f var/demo-alerts.txt      (what the webhook receiver got; log: var/demo-alerts.log)
  Report:     $pipeline report --config config/sample-pipeline.yaml --since 1h --by hour
  Messages:   $pipeline consume --config config/sample-pipeline.yaml
  Ctrl-C stops everything.

TXT
"$pipeline" --config config/sample-pipeline.yaml
