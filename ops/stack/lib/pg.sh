# shellcheck shell=bash
# The local "Citus cluster": three plain PostgreSQL clusters (coordinator, worker1, worker2) on loopback.

pg_name() { printf '%s' "${1#pg-}"; }

pg_port() {
  case $1 in
    pg-coordinator) printf '%s' "$MELODY_PG_COORDINATOR_PORT" ;;
    pg-worker1) printf '%s' "$MELODY_PG_WORKER1_PORT" ;;
    pg-worker2) printf '%s' "$MELODY_PG_WORKER2_PORT" ;;
  esac
}

pg_data_dir() { printf '%s/%s' "$PG_ROOT" "$(pg_name "$1")"; }
pg_log() { printf '%s/logs/%s.log' "$PG_ROOT" "$(pg_name "$1")"; }

# Runs a command as the owner of the clusters: postgres when we are root (initdb and pg_ctl refuse root),
# otherwise the current user.
as_pg() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# The directory that holds the three clusters: inside the stack dir when the postgres user can reach it.
pg_root() {
  if ((EUID != 0)) || ! id postgres >/dev/null 2>&1; then
    printf '%s/pg' "$STACK_DIR"
  elif [[ -d "$STACK_DIR" ]]; then
    if runuser -u postgres -- test -x "$STACK_DIR" 2>/dev/null; then
      printf '%s/pg' "$STACK_DIR"
    else
      printf '%s' "$PG_FALLBACK_ROOT"
    fi
  elif [[ -d "$PG_FALLBACK_ROOT" ]]; then
    printf '%s' "$PG_FALLBACK_ROOT"
  else
    printf '%s/pg' "$STACK_DIR"
  fi
}

# The directory of the PostgreSQL server binaries, empty if none is installed.
pg_bin() {
  if [[ -n "$MELODY_PG_BIN" ]]; then
    printf '%s' "$MELODY_PG_BIN"
    return
  fi
  if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
    printf '/usr/lib/postgresql/15/bin'
    return
  fi
  local newest
  newest="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  [[ -n "$newest" && -x "$newest/initdb" ]] && printf '%s' "$newest"
  return 0
}

pg_pid() {
  local dir
  dir="$(pg_data_dir "$1")"
  live_pid "$dir/postmaster.pid" "$dir"
}

# Runs SQL as the superuser over TCP; trust authentication on loopback, so no password is involved.
pg_sql() {
  local component=$1 db=$2 sql=$3
  PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$(pg_port "$component")" -U postgres -d "$db" \
    -v ON_ERROR_STOP=1 -tAc "$sql"
}

pg_healthy() {
  [[ "$(pg_sql "$1" melody 'select 1' 2>/dev/null)" == 1 ]]
}

pg_ensure_db() {
  local component=$1 db=$2
  if [[ "$(pg_sql "$component" postgres "select 1 from pg_database where datname = '$db'")" != 1 ]]; then
    pg_sql "$component" postgres "create database $db" >/dev/null
  fi
}

pg_prepare_root() {
  if [[ "$PG_ROOT" == "$PG_FALLBACK_ROOT" && ! -d "$PG_ROOT" ]]; then
    info "the postgres user cannot reach $STACK_DIR; the PostgreSQL clusters live in $PG_ROOT instead"
  fi
  mkdir -p "$PG_ROOT/logs"
  if ((EUID == 0)); then
    chown postgres: "$PG_ROOT" "$PG_ROOT/logs"
    # The fallback's parent is ours; postgres only needs to pass through it.
    [[ "$PG_ROOT" != "$PG_FALLBACK_ROOT" ]] || chmod 0755 "$(dirname "$PG_ROOT")"
  fi
}

# A postmaster killed with SIGKILL stays a zombie until its new parent (pid 1) reaps it; PostgreSQL then takes the
# zombie for a live postmaster and refuses to start. Once the zombie is the only trace left (no process attached to
# the cluster's shared memory any more, the check PostgreSQL itself makes), its lock file is stale.
pg_clear_stale_lock() {
  local dir=$1 lock="$1/postmaster.pid" pid shm_line shmid nattch waited=0
  [[ -f "$lock" ]] || return 0
  read -r pid <"$lock" || return 0
  [[ "$pid" =~ ^[0-9]+$ && -e "/proc/$pid" ]] || return 0
  pid_alive "$pid" && return 0
  while [[ -e "/proc/$pid" ]] && ((waited < 100)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  [[ -e "/proc/$pid" ]] || return 0
  shm_line="$(sed -n 7p "$lock")"
  shmid="${shm_line##* }"
  for ((waited = 0; waited < 100; waited++)); do
    nattch="$(awk -v id="$shmid" '$2 == id { print $7 }' /proc/sysvipc/shm 2>/dev/null || true)"
    [[ -z "$nattch" || "$nattch" == 0 ]] && break
    sleep 0.1
  done
  if [[ -n "$nattch" && "$nattch" != 0 ]]; then
    return 0
  fi
  warn "removing the lock file of a killed postmaster (pid $pid, an unreaped zombie): $lock"
  rm -f "$lock"
}

# Creates the cluster if needed, starts it, waits until it accepts connections, creates the database melody.
pg_start() {
  local component=$1 dir port log name
  dir="$(pg_data_dir "$component")"
  port="$(pg_port "$component")"
  log="$(pg_log "$component")"
  name="$(pg_name "$component")"
  if [[ ! -f "$dir/PG_VERSION" ]]; then
    rm -rf "$dir"
    if ! as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$PG_ROOT/logs/$name-initdb.log" 2>&1; then
      printf 'melody: error: initdb of %s failed\n' "$(component_label "$component")" >&2
      show_log_tail "$PG_ROOT/logs/$name-initdb.log"
      return 1
    fi
    printf "\n# Settings of the local stack (ops/melody rewrites melody.conf on every start).\ninclude 'melody.conf'\n" \
      >>"$dir/postgresql.conf"
  fi
  render "$OPS_DIR/stack/conf/pg-melody.conf.in" "$dir/melody.conf" "PORT=$port" "NAME=$name"
  render "$OPS_DIR/stack/conf/pg-hba.conf.in" "$dir/pg_hba.conf"
  ((EUID != 0)) || chown postgres: "$dir/melody.conf" "$dir/pg_hba.conf"
  pg_clear_stale_lock "$dir"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$log" -w -t "$MELODY_HEALTH_TIMEOUT" start >/dev/null 2>&1; then
    printf 'melody: error: %s did not start (pg_ctl start failed or waited %ss)\n' \
      "$(component_label "$component")" "$MELODY_HEALTH_TIMEOUT" >&2
    show_log_tail "$log"
    return 1
  fi
  pg_ensure_db "$component" melody
}

pg_stop() {
  local component=$1 dir
  dir="$(pg_data_dir "$component")"
  pg_pid "$component" >/dev/null || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null ||
    warn "pg_ctl stop of $(component_label "$component") failed; see $(pg_log "$component")"
}
