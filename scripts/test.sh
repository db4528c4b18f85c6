#!/usr/bin/env bash
# Runs the whole test suite (what `make test` and CI run): builds, starts the two local brokers that the Kafka tests
# share on 127.0.0.1 (noida-db and Tansu: each Kafka behaviour is tested on both), a PostgreSQL server for the
# archive's tests and a Mosquitto broker for the alerts' MQTT deliveries, runs the tests serially, and stops them
# whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
noida_port=${REALTIME_ANALYTICS_TEST_BROKER_PORT:-39092}
tansu_port=${REALTIME_ANALYTICS_TEST_TANSU_PORT:-39093}
postgres_port=${REALTIME_ANALYTICS_TEST_POSTGRES_PORT:-39432}
mqtt_port=${REALTIME_ANALYTICS_TEST_MQTT_PORT:-31883}
# The whole run's time limit: a test that hangs fails the run instead of holding CI until its own limit.
limit_s=${TEST_TIMEOUT_S:-1800}
if [ "${RDKAFKA:-}" != system ]; then
  export PKG_CONFIG_PATH="$PWD/runtime/librdkafka/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
fi
export PKG_CONFIG_PATH="$PWD/runtime/openvino/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# The style check the README promises, before the build: a formatting slip fails in seconds, not after the suite.
swift-format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
trap 'scripts/broker.sh stop "$noida_port"; scripts/broker.sh stop "$tansu_port"; scripts/postgres.sh stop "$postgres_port"; scripts/mqtt.sh stop "$mqtt_port"' EXIT
scripts/broker.sh start "$noida_port" noida
scripts/broker.sh start "$tansu_port" tansu
scripts/postgres.sh start "$postgres_port"
scripts/mqtt.sh start "$mqtt_port"
# Serial on purpose: several tests measure rates and time, which two tests sharing 2 cores would distort.
# FILTER (a regular expression over test names) runs a subset, e.g. `make test-faults`.
# The output is kept in var/test-logs/ (one file per commit) so that two runs' test times can be compared:
# scripts/test-times.py BEFORE.log AFTER.log.
mkdir -p var/test-logs
log="var/test-logs/$(git rev-parse --short HEAD 2>/dev/null || echo unknown)${FILTER:+-filtered}.log"
started=$SECONDS
status=0
REALTIME_ANALYTICS_TEST_BROKER="127.0.0.1:$noida_port" REALTIME_ANALYTICS_TEST_TANSU="127.0.0.1:$tansu_port" \
  REALTIME_ANALYTICS_TEST_POSTGRES="postgres://postgres@127.0.0.1:$postgres_port" \
  REALTIME_ANALYTICS_TEST_MQTT="127.0.0.1:$mqtt_port" \
  timeout --kill-after=30 "$limit_s" swift test --skip-build --no-parallel ${FILTER:+--filter "$FILTER"} \
  2>&1 | tee "$log" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "test: the suite did not finish within $limit_s s (TEST_TIMEOUT_S); a test hangs: see $log" >&2
fi
echo "test: suite took $((SECONDS - started)) s (exit $status)"
exit "$status"
