#!/usr/bin/env bash
# The local Kafka-compatible broker for the demo and tests: noida-db 0.2.3 from PyPI (a single binary with a Kafka
# listener that works with Debian's librdkafka 2.0.2). Not for production: use Apache Kafka or Redpanda there.
#
#   scripts/broker.sh install          put the binary at runtime/bin/noida-db (idempotent)
#   scripts/broker.sh start PORT       start on 127.0.0.1:PORT with a fresh data folder, wait until it listens
#   scripts/broker.sh stop PORT        stop it
set -euo pipefail
cd "$(dirname "$0")/.."
binary=runtime/bin/noida-db

install_broker() {
  [ -x "$binary" ] && return 0
  echo "broker: installing noida-db 0.2.3 from PyPI into runtime/bin"
  local work
  work=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work" noida-db==0.2.3
  python3 -m zipfile -e "$work"/noida_db-0.2.3-*.whl "$work/wheel"
  mkdir -p runtime/bin
  install -m 755 "$work/wheel/noida_db/noida-db" "$binary"
  rm -rf "$work"
}

wait_for_port() { # port, seconds
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

case "${1:-}" in
  install)
    install_broker
    ;;
  start)
    port=${2:?usage: broker.sh start PORT}
    install_broker
    data="var/broker-$port"
    if [ -f "$data.pid" ] && kill -0 "$(cat "$data.pid")" 2>/dev/null; then
      echo "broker: already running on 127.0.0.1:$port"
      exit 0
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "broker: 127.0.0.1:$port is already in use by another process; stop it or pick another port" >&2
      exit 1
    fi
    # A fresh data folder each start: the broker's CPU use grows with the data it holds.
    rm -rf "$data"; mkdir -p "$data"
    nohup "$binary" start --data-dir "$data" --host 127.0.0.1 --only kafka --kafka-port "$port" \
      >"$data.log" 2>&1 </dev/null &
    echo $! >"$data.pid"
    if ! wait_for_port "$port" 10 || ! kill -0 "$(cat "$data.pid")" 2>/dev/null; then
      echo "broker: did not start listening on 127.0.0.1:$port within 10 s; see $data.log" >&2
      exit 1
    fi
    echo "broker: Kafka listener on 127.0.0.1:$port (pid $(cat "$data.pid"), log $data.log)"
    ;;
  stop)
    port=${2:?usage: broker.sh stop PORT}
    pidfile="var/broker-$port.pid"
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    # Return only once the port is free, so that an immediate start on it works.
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break; sleep 0.1; done
    ;;
  *)
    echo "usage: scripts/broker.sh install | start PORT | stop PORT" >&2
    exit 2
    ;;
esac
