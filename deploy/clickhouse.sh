#!/usr/bin/env bash
# Heed's private ClickHouse: start | stop | status | client [args...]
#
# The server belongs to this checkout: its own config (deploy/clickhouse/config.xml),
# ports (native 19000, http 18123, 127.0.0.1 only) and data under .data/clickhouse.
# It never touches a system ClickHouse on port 9000.
#
# Binary choice: a current single `clickhouse` binary on PATH, else Debian's
# `clickhouse-server`; when neither exists, apt-get installs Debian's
# clickhouse-server and clickhouse-client.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data=${HEED_CLICKHOUSE_DATA:-$root/.data/clickhouse}
tcp_port=${HEED_CLICKHOUSE_TCP_PORT:-19000}
http_port=${HEED_CLICKHOUSE_HTTP_PORT:-18123}
pidfile=$data/clickhouse.pid
PATH=$PATH:/usr/sbin:/usr/local/sbin

log() { echo "clickhouse.sh: $*" >&2; }

# find_server sets server_cmd (array) and client_cmd (array).
find_server() {
  if command -v clickhouse >/dev/null 2>&1; then
    server_cmd=(clickhouse server)
    client_cmd=(clickhouse client)
  elif command -v clickhouse-server >/dev/null 2>&1; then
    server_cmd=(clickhouse-server)
    client_cmd=(clickhouse-client)
  else
    return 1
  fi
}

install_server() {
  log "no ClickHouse binary found; installing Debian's clickhouse-server and clickhouse-client"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # policy-rc.d on containers refuses to start the system service; that is fine,
  # we never use it.
  $sudo apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
}

ping_ok() {
  # /ping answers "Ok." on every generation; bash's /dev/tcp avoids needing curl.
  local reply
  reply=$( (exec 3<>/dev/tcp/127.0.0.1/"$http_port" &&
    printf 'GET /ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 &&
    timeout 2 cat <&3) 2>/dev/null) || return 1
  [[ $reply == *"Ok."* ]]
}

# running_pid prints the pid of the server that uses this data folder, from
# our pid file or from the `status` file ClickHouse keeps in its path. The
# process must still name our config, so a recycled pid is never killed.
running_pid() {
  local pid
  for pid in "$(cat "$pidfile" 2>/dev/null)" "$(sed -n 's/^PID: *//p' "$data/status" 2>/dev/null)"; do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
      tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$data/config.xml" && { echo "$pid"; return 0; }
  done
  return 1
}

wait_ready() {
  for _ in $(seq 1 150); do
    ping_ok && return 0
    sleep 0.2
  done
  return 1
}

write_config() {
  mkdir -p "$data"/{log,tmp,user_files,format_schemas}
  sed -e "s|@DATA@|$data|g" -e "s|@TCP_PORT@|$tcp_port|g" -e "s|@HTTP_PORT@|$http_port|g" \
    "$root/deploy/clickhouse/config.xml" >"$data/config.xml"
}

start() {
  if ping_ok; then
    log "already running on 127.0.0.1:$tcp_port (reusing it)"
    return 0
  fi
  if pid=$(running_pid); then
    # Ours, but still starting (18.16 can be slow after a crash): wait.
    log "waiting for the server already starting (pid $pid)"
    wait_ready && { log "ready"; return 0; }
    log "pid $pid does not answer; stop it with: $0 stop"
    exit 1
  fi
  find_server || { install_server && find_server; } || { log "ClickHouse could not be installed"; exit 1; }
  write_config
  log "starting ${server_cmd[*]} (native 127.0.0.1:$tcp_port, http $http_port, data $data)"
  # setsid: the server outlives the shell that started it (make run, CI steps).
  setsid "${server_cmd[@]}" --config-file="$data/config.xml" \
    >"$data/log/stdout.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  if wait_ready; then
    log "ready"
    return 0
  fi
  log "did not become ready in 30 s; last log lines:"
  tail -n 20 "$data/log/clickhouse-server.err.log" "$data/log/stdout.log" >&2 2>/dev/null || true
  exit 1
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    log "not running"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { log "stopped"; rm -f "$pidfile"; return 0; }
    sleep 0.2
  done
  log "still running after 20 s; killing $pid"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
restart) stop; start ;;
status)
  if ping_ok; then echo "running on 127.0.0.1:$tcp_port"; else echo "not running"; exit 1; fi ;;
client)
  shift
  find_server || { log "no ClickHouse client installed; run: $0 start"; exit 1; }
  exec "${client_cmd[@]}" --host 127.0.0.1 --port "$tcp_port" "$@" ;;
*)
  echo "usage: $0 start|stop|restart|status|client [args...]" >&2
  exit 2 ;;
esac
