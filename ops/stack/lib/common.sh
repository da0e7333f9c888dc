# shellcheck shell=bash
# Shared helpers of ops/melody: messages, settings, processes, ports, templates.
# Sourced by ops/melody, which sets REPO_DIR and OPS_DIR and runs with `set -euo pipefail`.

# `&` in the replacement of ${var//pattern/replacement} means "the match" since bash 5.2; paths may contain it.
shopt -u patsub_replacement 2>/dev/null || true

# Components in the order `status` prints them and `up` checks them.
readonly COMPONENTS=(kafka pg-coordinator pg-worker1 pg-worker2 clickhouse registry)

info() { printf 'melody: %s\n' "$*"; }
warn() { printf 'melody: warning: %s\n' "$*" >&2; }
die() {
  printf 'melody: error: %s\n' "$*" >&2
  exit 1
}

# Human name of a component, as `status` prints it.
component_label() {
  case $1 in
    pg-*) printf 'pg %s' "${1#pg-}" ;;
    *) printf '%s' "$1" ;;
  esac
}

# --- settings ------------------------------------------------------------------------------------------------------

# Loads ops/stack/defaults.env, then <stack dir>/local.env; exported MELODY_* variables of the caller win over both.
load_settings() {
  local from_env
  from_env="$(declare -px | sed -n 's/^declare -x \(MELODY_[A-Za-z0-9_]*=\)/declare -gx \1/p')"
  # shellcheck source=../defaults.env
  source "$OPS_DIR/stack/defaults.env"
  eval "$from_env"
  STACK_DIR="$(absolute_path "$MELODY_STACK_DIR")"
  if [[ -f "$STACK_DIR/local.env" ]]; then
    # shellcheck disable=SC1091
    source "$STACK_DIR/local.env"
    eval "$from_env"
    if [[ "$(absolute_path "$MELODY_STACK_DIR")" != "$STACK_DIR" ]]; then
      die "$STACK_DIR/local.env sets MELODY_STACK_DIR; the stack dir can only be chosen in the environment"
    fi
  fi
  validate_settings
  derive_paths
}

absolute_path() {
  case $1 in
    /*) printf '%s' "${1%/}" ;;
    *) printf '%s/%s' "$REPO_DIR" "${1%/}" ;;
  esac
}

validate_settings() {
  local name value
  local -A seen=()
  for name in MELODY_KAFKA_PORT MELODY_KAFKA_CONTROLLER_PORT MELODY_PG_COORDINATOR_PORT MELODY_PG_WORKER1_PORT \
    MELODY_PG_WORKER2_PORT MELODY_CLICKHOUSE_HTTP_PORT MELODY_CLICKHOUSE_TCP_PORT \
    MELODY_CLICKHOUSE_INTERSERVER_PORT MELODY_REGISTRY_PORT MELODY_PLAY_ANALYTICS_HTTP_PORT; do
    value="${!name}"
    if [[ ! "$value" =~ ^[0-9]+$ ]] || ((value < 1024 || value > 65535)); then
      die "$name=$value is not a port number between 1024 and 65535"
    fi
    [[ -z "${seen[$value]:-}" ]] || die "$name and ${seen[$value]} both use port $value"
    seen[$value]=$name
  done
  for name in MELODY_KAFKA_HEAP MELODY_REGISTRY_HEAP MELODY_PLAY_ANALYTICS_HEAP; do
    [[ "${!name}" =~ ^[0-9]+[kKmMgG]?$ ]] || die "$name=${!name} is not a JVM heap size such as 512m or 1g"
  done
  [[ "$MELODY_HEALTH_TIMEOUT" =~ ^[1-9][0-9]*$ ]] ||
    die "MELODY_HEALTH_TIMEOUT=$MELODY_HEALTH_TIMEOUT is not a positive number of seconds"
  for name in MELODY_MAVEN_OFFLINE MELODY_SKIP_BOOTSTRAP; do
    [[ "${!name}" == 0 || "${!name}" == 1 ]] || die "$name=${!name} must be 0 or 1"
  done
  for name in MELODY_SHARD_COUNT MELODY_SEED_USERS MELODY_SEED_RIGHTS_HOLDERS MELODY_SEED_TRACKS; do
    [[ "${!name}" =~ ^[1-9][0-9]*$ ]] || die "$name=${!name} must be a positive integer"
  done
  [[ "$MELODY_SEED_CAMPAIGNS" =~ ^[0-9]+$ ]] || die "MELODY_SEED_CAMPAIGNS=$MELODY_SEED_CAMPAIGNS must be an integer"
  [[ "$MELODY_SEED" =~ ^-?[0-9]+$ ]] || die "MELODY_SEED=$MELODY_SEED must be an integer"
  [[ "$MELODY_REGISTRY_STORAGE" == postgresql || "$MELODY_REGISTRY_STORAGE" == memory ]] ||
    die "MELODY_REGISTRY_STORAGE=$MELODY_REGISTRY_STORAGE must be postgresql or memory"
}

derive_paths() {
  RUN_DIR="$STACK_DIR/run"
  STACK_PROPERTIES="$STACK_DIR/stack.properties"
  STACK_MARKER="$STACK_DIR/.melody-stack"
  KAFKA_DIR="$STACK_DIR/kafka"
  CLICKHOUSE_DIR="$STACK_DIR/clickhouse"
  REGISTRY_DIR="$STACK_DIR/registry"
  KAFKA_LIBS="$REPO_DIR/ops/runtime/target/kafka/libs"
  APICURIO_DIR="$REPO_DIR/ops/runtime/target/apicurio"
  # PostgreSQL refuses to run as root, so its clusters belong to the postgres user, which must be able to reach
  # them. When it cannot reach the stack dir (under /root, say), they live here instead.
  PG_FALLBACK_ROOT="/var/tmp/melody-stack-$(printf '%s' "$STACK_DIR" | sha1sum | cut -c1-12)/pg"
  PG_ROOT="$(pg_root)"
}

# Creates the stack dir with the marker file that `down --purge` requires before it deletes anything.
ensure_stack_dir() {
  if [[ -e "$STACK_DIR" && ! -f "$STACK_MARKER" &&
    -n "$(find "$STACK_DIR" -mindepth 1 -maxdepth 1 ! -name local.env -print -quit 2>/dev/null)" ]]; then
    die "$STACK_DIR exists and was not created by ops/melody (no .melody-stack inside); choose another MELODY_STACK_DIR"
  fi
  mkdir -p "$STACK_DIR" "$RUN_DIR"
  [[ -f "$STACK_MARKER" ]] || echo "Created by ops/melody; 'ops/melody down --purge' deletes this directory." >"$STACK_MARKER"
  PG_ROOT="$(pg_root)"
}

# --- processes -----------------------------------------------------------------------------------------------------

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }

# Prints the pid of the live process whose command line contains the marker, from a pid file whose first line is a pid.
live_pid() {
  local file=$1 marker=$2 pid cmdline
  [[ -r "$file" ]] || return 1
  read -r pid <"$file" || true
  [[ "${pid:-}" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$marker"* ]] || return 1
  printf '%s' "$pid"
}

# Starts a command in its own session (so that it outlives the shell and its process group), from a working
# directory, with stdout and stderr to a log file, and records its pid.
spawn() {
  local name=$1 workdir=$2 log=$3
  shift 3
  local pidfile
  pidfile="$(pid_file "$name")"
  rm -f "$pidfile"
  # Every process in between execs the next one, so that none of them is left holding our stdout (a caller
  # reading `ops/melody up | tee` would wait for it forever).
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner bash, which becomes the command through exec.
  (cd "$workdir" && exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@") >"$log" 2>&1 </dev/null &
  local waited=0
  while [[ ! -s "$pidfile" ]] && ((waited < 50)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  [[ -s "$pidfile" ]] || die "could not start $name (no pid file); see $log"
}

# True while the process exists and is not a zombie (an exited child that nobody has reaped yet).
pid_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# Stops a process started by spawn: SIGTERM, then SIGKILL after a grace period.
stop_pid() {
  local name=$1 pid=$2 grace=$3 waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while pid_alive "$pid"; do
    if ((waited >= grace * 10)); then
      warn "$name (pid $pid) did not stop within ${grace}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# --- ports ---------------------------------------------------------------------------------------------------------

# Pids listening on a TCP port (space separated), empty if none; "?" for a listener whose process ss cannot name.
port_listener_pids() {
  local port=$1 lines
  if command -v ss >/dev/null; then
    lines="$(ss -Hltnp "sport = :$port" 2>/dev/null || true)"
    [[ -n "$lines" ]] || return 0
    local pids
    pids="$(grep -o 'pid=[0-9]*' <<<"$lines" | cut -d= -f2 | sort -u | tr '\n' ' ' || true)"
    printf '%s' "${pids:-?}"
  elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    printf '?'
  fi
}

# Describes the processes behind a list of pids, as "java (pid 123, user root)".
describe_pids() {
  local pid out=()
  for pid in $1; do
    if [[ "$pid" == "?" ]]; then
      out+=("a process that ss cannot name (run as root to see it)")
    else
      out+=("$(ps -o comm= -p "$pid" 2>/dev/null || echo '?') (pid $pid, user $(ps -o user= -p "$pid" 2>/dev/null || echo '?'))")
    fi
  done
  printf '%s, ' "${out[@]}" | sed 's/, $//'
}

# --- templates and files -------------------------------------------------------------------------------------------

# Copies a template, replacing each @KEY@ by the value of a KEY=value argument.
render() {
  local src=$1 dst=$2 content kv
  shift 2
  content="$(<"$src")"
  for kv in "$@"; do
    content="${content//@${kv%%=*}@/${kv#*=}}"
  done
  printf '%s\n' "$content" >"$dst.tmp"
  mv "$dst.tmp" "$dst"
}

# Prints the last lines of a log file, indented, if it has any.
show_log_tail() {
  local log=$1 lines=${2:-20}
  if [[ -s "$log" ]]; then
    printf '  last %s lines of %s:\n' "$lines" "$log" >&2
    tail -n "$lines" "$log" | sed 's/^/    | /' >&2
  fi
}

http_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" 2>/dev/null || true
}
