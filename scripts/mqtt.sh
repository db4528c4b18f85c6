#!/usr/bin/env bash
# A private Eclipse Mosquitto broker (Debian's mosquitto) on 127.0.0.1:PORT for the alerts' tests and trials:
#   scripts/mqtt.sh start 31883    scripts/mqtt.sh stop 31883
# Loopback only, anonymous, no persistence; its folder and log are /tmp/realtime-analytics-mosquitto-PORT/.
set -euo pipefail
action=${1:?usage: scripts/mqtt.sh start|stop PORT}
port=${2:?usage: scripts/mqtt.sh start|stop PORT}
folder=/tmp/realtime-analytics-mosquitto-$port
binary=$(command -v mosquitto || echo /usr/sbin/mosquitto)
case "$action" in
  start)
    [ -x "$binary" ] || { echo "mqtt: mosquitto is not installed; run scripts/setup.sh" >&2; exit 1; }
    mkdir -p "$folder"
    if [ -f "$folder/pid" ] && kill -0 "$(cat "$folder/pid")" 2>/dev/null; then exit 0; fi
    cat > "$folder/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
CONF
    # As root it runs as the mosquitto user; the folder must be readable by it.
    chmod 755 "$folder"; chmod 644 "$folder/mosquitto.conf"
    nohup "$binary" -c "$folder/mosquitto.conf" >"$folder/log" 2>&1 </dev/null &
    echo $! > "$folder/pid"
    for _ in $(seq 1 50); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then exit 0; fi
      kill -0 "$(cat "$folder/pid")" 2>/dev/null || { echo "mqtt: mosquitto exited: $(tail -3 "$folder/log")" >&2; exit 1; }
      sleep 0.1
    done
    echo "mqtt: mosquitto did not listen on 127.0.0.1:$port within 5 s: $(tail -3 "$folder/log")" >&2
    exit 1
    ;;
  stop)
    if [ -f "$folder/pid" ]; then
      kill "$(cat "$folder/pid")" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$(cat "$folder/pid")" 2>/dev/null || break; sleep 0.1; done
      rm -f "$folder/pid"
    fi
    ;;
  *) echo "usage: scripts/mqtt.sh start|stop PORT" >&2; exit 2 ;;
esac
