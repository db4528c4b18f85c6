#!/usr/bin/env bash
# A private PostgreSQL server (Debian's postgresql package) for the archive's tests and for trying the archive on
# PostgreSQL; not for production (trust authentication on 127.0.0.1, fsync off).
#   scripts/postgres.sh start PORT   a fresh cluster in /tmp/realtime-analytics-postgres-PORT on 127.0.0.1:PORT, database `archive`,
#                                    user `postgres` without a password; waits until it accepts connections
#   scripts/postgres.sh stop PORT    stop it and delete its folder
# The URL the archive takes: postgres://postgres@127.0.0.1:PORT/archive
# As root the server runs as the `postgres` user (the server refuses to run as root); its folder is under /tmp so that
# the user can reach it wherever the clone is (a clone under /root is closed to other users).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "postgres: no PostgreSQL server installed; run scripts/setup.sh (it installs Debian's postgresql)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local port=$1 folder="${TMPDIR:-/tmp}/realtime-analytics-postgres-$1"
  stop "$port" >/dev/null 2>&1 || true
  mkdir -p "$folder"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$folder"
  as_owner "$bin/initdb" -D "$folder/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$folder/initdb.log"
  as_owner "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$folder -c fsync=off -c full_page_writes=off" \
    start >/dev/null
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres archive
  echo "postgres: listening on 127.0.0.1:$port (postgres://postgres@127.0.0.1:$port/archive)"
}

stop() {
  local port=$1 folder="${TMPDIR:-/tmp}/realtime-analytics-postgres-$1"
  if [ -f "$folder/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$folder/data" -m fast -w -t 30 stop >/dev/null || true
  fi
  rm -rf "$folder"
}

case "${1:-}" in
  start) start "${2:?usage: postgres.sh start PORT}" ;;
  stop) stop "${2:?usage: postgres.sh stop PORT}" ;;
  *) echo "usage: scripts/postgres.sh start|stop PORT" >&2; exit 2 ;;
esac
