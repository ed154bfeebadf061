#!/usr/bin/env bash
# Local servers for the examples, so every one runs offline (on loopback only):
#   HTTP  127.0.0.1:8080  (tests/clients/servers/http_app.py: /get, /post, /json, ...)
#   HTTPS 127.0.0.1:8443  (the same app; a throwaway CA made by trustme, copied as ca.pem into a
#                          copy of examples/https_get, because code.py reads files from its drive)
#   MQTT  127.0.0.1:1883  (Debian's mosquitto, anonymous, no persistence)
#   NTP   127.0.0.1:12300 (tests/clients/servers/ntp_server.py: this computer's clock)
# It prints one line per server with the command that runs its example, then "ready", and runs
# until Ctrl-C (or kill), which stops every server. Ports: HTTP_PORT, HTTPS_PORT, MQTT_PORT,
# NTP_PORT (and EXAMPLE_SERVER_PORT, printed for the server example) in the environment. A server whose program is missing is skipped, and says so.
# Needs the test set-up (./scripts/setup.sh: trustme, mosquitto).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HTTP_PORT=${HTTP_PORT:-8080}
HTTPS_PORT=${HTTPS_PORT:-8443}
MQTT_PORT=${MQTT_PORT:-1883}
NTP_PORT=${NTP_PORT:-12300}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/socketpool-examples.XXXXXX")
pids=()
stop() {
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$DIR"
}
trap stop EXIT
trap 'exit 0' INT TERM

listening() {  # listening PORT: wait (at most 10 s) until a TCP server accepts on it
  local _
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

$PY tests/clients/servers/http_app.py "$HTTP_PORT" >"$DIR/http.log" 2>&1 &
pids+=($!)
if listening "$HTTP_PORT"; then
  echo "http   127.0.0.1:$HTTP_PORT   TCP_HOST=127.0.0.1 TCP_PORT=$HTTP_PORT .venv/bin/socketpool run examples/socketpool_simpletest"
  echo "http   127.0.0.1:$HTTP_PORT   HTTP_URL=http://127.0.0.1:$HTTP_PORT/get .venv/bin/socketpool run examples/http_get"
else
  echo "http   FAILED to start: $(tail -n 3 "$DIR/http.log")"
fi

if $PY -m trustme -q -d "$DIR" -i 127.0.0.1 localhost >/dev/null 2>&1; then
  $PY tests/clients/servers/http_app.py "$HTTPS_PORT" "$DIR/server.pem" "$DIR/server.key" >"$DIR/https.log" 2>&1 &
  pids+=($!)
  cp -r examples/https_get "$DIR/https_get" && cp "$DIR/client.pem" "$DIR/https_get/ca.pem"
  if listening "$HTTPS_PORT"; then
    echo "https  127.0.0.1:$HTTPS_PORT   HTTPS_URL=https://127.0.0.1:$HTTPS_PORT/get HTTPS_CA_FILE=/ca.pem .venv/bin/socketpool run $DIR/https_get"
  else
    echo "https  FAILED to start: $(tail -n 3 "$DIR/https.log")"
  fi
else
  echo "https  skipped: trustme is not installed (./scripts/setup.sh)"
fi

MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
if [ -x "$MOSQUITTO" ]; then
  printf 'user %s\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\nlistener %s 127.0.0.1\n' \
    "$(id -un)" "$MQTT_PORT" >"$DIR/mosquitto.conf"
  "$MOSQUITTO" -c "$DIR/mosquitto.conf" >"$DIR/mqtt.log" 2>&1 &
  pids+=($!)
  if listening "$MQTT_PORT"; then
    echo "mqtt   127.0.0.1:$MQTT_PORT   MQTT_BROKER=127.0.0.1 MQTT_PORT=$MQTT_PORT .venv/bin/socketpool run examples/mqtt_pubsub"
  else
    echo "mqtt   FAILED to start: $(tail -n 3 "$DIR/mqtt.log")"
  fi
else
  echo "mqtt   skipped: mosquitto is not installed (./scripts/setup.sh)"
fi

$PY tests/clients/servers/ntp_server.py "$NTP_PORT" >"$DIR/ntp.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "NTP server on" "$DIR/ntp.log" 2>/dev/null && break; sleep 0.1; done
if grep -q "NTP server on" "$DIR/ntp.log"; then
  echo "ntp    127.0.0.1:$NTP_PORT  NTP_SERVER=127.0.0.1 NTP_PORT=$NTP_PORT .venv/bin/socketpool run examples/ntp_time"
else
  echo "ntp    FAILED to start: $(tail -n 3 "$DIR/ntp.log")"
fi
SERVER_PORT=${EXAMPLE_SERVER_PORT:-8000}
echo "server (needs none: it is one)  HTTP_HOST=127.0.0.1 HTTP_PORT=$SERVER_PORT .venv/bin/socketpool run examples/http_server   # then: curl http://127.0.0.1:$SERVER_PORT/"
echo "ready (Ctrl-C stops the servers)"
wait
