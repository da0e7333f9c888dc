# shellcheck shell=bash
# One interface over the six components: pid, health, ports, log, start, stop.

component_kind() {
  case $1 in
    pg-*) printf 'pg' ;;
    *) printf '%s' "$1" ;;
  esac
}

# The pid of the component's process if it is running and is ours (started for this stack dir).
component_pid() {
  case $1 in
    pg-*) pg_pid "$1" ;;
    *) "$1_pid" ;;
  esac
}

component_healthy() {
  case $1 in
    pg-*) pg_healthy "$1" ;;
    *) "$1_healthy" ;;
  esac
}

# Every TCP port the component listens on; the first is the one clients use.
component_ports() {
  case $1 in
    kafka) printf '%s %s' "$MELODY_KAFKA_PORT" "$MELODY_KAFKA_CONTROLLER_PORT" ;;
    pg-*) pg_port "$1" ;;
    clickhouse)
      printf '%s %s %s' "$MELODY_CLICKHOUSE_HTTP_PORT" "$MELODY_CLICKHOUSE_TCP_PORT" \
        "$MELODY_CLICKHOUSE_INTERSERVER_PORT"
      ;;
    registry) printf '%s' "$MELODY_REGISTRY_PORT" ;;
  esac
}

component_log() {
  case $1 in
    pg-*) pg_log "$1" ;;
    *) "$1_log" ;;
  esac
}

# Other files worth showing when the component fails to start (stdout and stderr of the process).
component_extra_logs() {
  case $1 in
    kafka) printf '%s' "$KAFKA_DIR/kafka.out" ;;
    clickhouse) printf '%s %s' "$CLICKHOUSE_DIR/clickhouse.out" "$CLICKHOUSE_DIR/err.txt" ;;
  esac
}

component_start() {
  case $1 in
    pg-*) pg_start "$1" ;;
    *) "$1_start" ;;
  esac
}

component_stop() {
  case $1 in
    pg-*) pg_stop "$1" ;;
    *) "$1_stop" ;;
  esac
}

# healthy, unhealthy (our process runs but does not answer) or stopped.
component_state() {
  if ! component_pid "$1" >/dev/null; then
    printf 'stopped'
  elif component_healthy "$1"; then
    printf 'healthy'
  else
    printf 'unhealthy'
  fi
}

# Fails, naming the process, if a port of the component is taken by a process that is not this component.
check_ports_free() {
  local component=$1 own_pid port pids pid
  own_pid="$(component_pid "$component" || true)"
  for port in $(component_ports "$component"); do
    pids="$(port_listener_pids "$port")"
    [[ -n "$pids" ]] || continue
    for pid in $pids; do
      [[ -n "$own_pid" && "$pid" == "$own_pid" ]] && continue
      printf 'melody: error: port %s, needed by %s, is in use by %s\n' "$port" "$(component_label "$component")" \
        "$(describe_pids "$pids")" >&2
      return 1
    done
  done
}

# Prints why a component that was started did not become healthy, with the end of its logs.
report_unhealthy() {
  local component=$1 reason=$2 log
  printf 'melody: error: %s %s\n' "$(component_label "$component")" "$reason" >&2
  show_log_tail "$(component_log "$component")"
  for log in $(component_extra_logs "$component"); do
    show_log_tail "$log" 10
  done
}

# Waits, all at once, until each component answers its health check; each one gets MELODY_HEALTH_TIMEOUT seconds.
wait_healthy() {
  local pending=("$@") failed=0 deadline=$((SECONDS + MELODY_HEALTH_TIMEOUT)) component still
  while ((${#pending[@]} > 0)); do
    still=()
    for component in "${pending[@]}"; do
      if ! component_pid "$component" >/dev/null; then
        report_unhealthy "$component" "exited while starting"
        failed=1
      elif component_healthy "$component"; then
        info "$(component_label "$component") is healthy"
      elif ((SECONDS >= deadline)); then
        report_unhealthy "$component" "did not become healthy within ${MELODY_HEALTH_TIMEOUT}s (MELODY_HEALTH_TIMEOUT)"
        failed=1
      else
        still+=("$component")
      fi
    done
    pending=("${still[@]}")
    ((${#pending[@]} == 0)) || sleep 0.5
  done
  return "$failed"
}
