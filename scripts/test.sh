#!/usr/bin/env bash
# Runs the whole test suite (what `make test` and CI run): builds, starts the local broker that the Kafka tests
# share on 127.0.0.1, runs the tests serially, and stops the broker whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${REALTIME_ANALYTICS_TEST_BROKER_PORT:-39092}
export PKG_CONFIG_PATH="$PWD/runtime/openvino/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
swift build --build-tests
scripts/broker.sh start "$port"
trap 'scripts/broker.sh stop "$port"' EXIT
# Serial on purpose: several tests measure rates and time, which two tests sharing 2 cores would distort.
# FILTER (a regular expression over test names) runs a subset, e.g. `make test-faults`.
# The output is kept in var/test-logs/ (one file per commit) so that two runs' test times can be compared:
# scripts/test-times.py BEFORE.log AFTER.log.
mkdir -p var/test-logs
log="var/test-logs/$(git rev-parse --short HEAD 2>/dev/null || echo unknown)${FILTER:+-filtered}.log"
REALTIME_ANALYTICS_TEST_BROKER="127.0.0.1:$port" swift test --skip-build --no-parallel ${FILTER:+--filter "$FILTER"} \
  2>&1 | tee "$log"
