# shellcheck shell=bash
# ClickHouse from Debian's clickhouse-server package, run as a plain process with its own directories and ports:
# the packaged config.xml stays as it is and our settings override it on the command line.

clickhouse_log() { printf '%s/log.txt' "$CLICKHOUSE_DIR"; }

clickhouse_pid() { live_pid "$(pid_file clickhouse)" "--path=$CLICKHOUSE_DIR/data/ "; }

clickhouse_healthy() {
  [[ "$(curl -s --max-time 3 "http://127.0.0.1:$MELODY_CLICKHOUSE_HTTP_PORT/ping" 2>/dev/null || true)" == "Ok." ]]
}

clickhouse_config() {
  if [[ -n "$MELODY_CLICKHOUSE_CONFIG" ]]; then
    printf '%s' "$MELODY_CLICKHOUSE_CONFIG"
  else
    dpkg -L clickhouse-server 2>/dev/null | grep -m1 '/config\.xml$' || true
  fi
}

clickhouse_start() {
  local config d="$CLICKHOUSE_DIR"
  config="$(clickhouse_config)"
  if [[ -z "$config" || ! -r "$config" ]]; then
    printf 'melody: error: clickhouse: no readable server config.xml (%s); set MELODY_CLICKHOUSE_CONFIG\n' \
      "${config:-none found by dpkg -L clickhouse-server}" >&2
    return 1
  fi
  mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas"
  spawn clickhouse "$d" "$d/clickhouse.out" clickhouse-server --config-file="$config" -- \
    --path="$d/data/" --tmp_path="$d/tmp/" --user_files_path="$d/user_files/" \
    --format_schema_path="$d/format_schemas/" --listen_host=127.0.0.1 \
    --http_port="$MELODY_CLICKHOUSE_HTTP_PORT" --tcp_port="$MELODY_CLICKHOUSE_TCP_PORT" \
    --interserver_http_port="$MELODY_CLICKHOUSE_INTERSERVER_PORT" \
    --logger.log="$d/log.txt" --logger.errorlog="$d/err.txt"
}

clickhouse_stop() {
  local pid
  pid="$(clickhouse_pid)" || return 0
  stop_pid clickhouse "$pid" 30
  rm -f "$(pid_file clickhouse)"
}
