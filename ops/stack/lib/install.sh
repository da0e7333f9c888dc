# shellcheck shell=bash
# What `up` installs or builds before it starts anything: Debian packages and the Maven-built runtime.

pkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

# apt-get install; on failure apt-get update and one more try. Output goes to <stack dir>/apt.log.
apt_install() {
  local log="$STACK_DIR/apt.log"
  local apt=(apt-get -y -q -o DPkg::Lock::Timeout=300)
  if ((EUID != 0)); then
    printf 'melody: error: missing packages %s: run ops/melody as root, or install them with apt-get\n' "$*" >&2
    return 1
  fi
  info "installing $* (apt-get, log in $log)"
  if DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "$@" >"$log" 2>&1; then
    return 0
  fi
  info "apt-get install failed; running apt-get update and trying again"
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >>"$log" 2>&1 || warn "apt-get update failed (see $log)"
  if DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "$@" >>"$log" 2>&1; then
    return 0
  fi
  printf 'melody: error: could not install %s with apt-get\n' "$*" >&2
  grep -E '^(E|W): ' "$log" | awk '!seen[$0]++' | tail -n 5 | sed 's/^/    | /' >&2 || show_log_tail "$log" 10
  return 1
}

ensure_packages() {
  local missing=() pkg
  command -v curl >/dev/null || missing+=(curl)
  command -v ss >/dev/null || missing+=(iproute2)
  if ((${#missing[@]} > 0)); then
    apt_install "${missing[@]}" || die "cannot install the tools ops/melody uses: ${missing[*]}"
  fi
  command -v java >/dev/null || die "java (17 or newer) is not on the PATH"
  command -v mvn >/dev/null || die "mvn (Maven 3.8 or newer) is not on the PATH"

  if [[ -z "$(pg_bin)" ]]; then
    if ! apt_install "$MELODY_PG_PACKAGE"; then
      if [[ "$MELODY_PG_PACKAGE" == postgresql ]] || ! apt_install postgresql; then
        die "cannot install PostgreSQL (package $MELODY_PG_PACKAGE, then postgresql); see $STACK_DIR/apt.log"
      fi
    fi
    [[ -n "$(pg_bin)" ]] || die "PostgreSQL is installed but no initdb was found under /usr/lib/postgresql; set MELODY_PG_BIN"
  fi
  PG_BIN="$(pg_bin)"
  [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" && -x "$PG_BIN/psql" ]] ||
    die "MELODY_PG_BIN=$PG_BIN does not hold initdb, pg_ctl and psql"

  missing=()
  for pkg in $MELODY_CLICKHOUSE_PACKAGES; do
    pkg_installed "$pkg" || missing+=("$pkg")
  done
  if ((${#missing[@]} > 0)); then
    apt_install "${missing[@]}" || die "cannot install ClickHouse (${missing[*]}); see $STACK_DIR/apt.log"
  fi
  command -v clickhouse-server >/dev/null || die "clickhouse-server is not on the PATH after installing it"

  # The dashboard's test drives a real headless browser.
  if ! command -v chromium >/dev/null; then
    apt_install chromium || warn "cannot install chromium: the dashboard's browser test will be skipped"
  fi
}

mvn_quiet() {
  local args=(-B -q)
  [[ "$MELODY_MAVEN_OFFLINE" == 0 ]] || args+=(-o)
  (cd "$REPO_DIR" && mvn "${args[@]}" "$@")
}

# The Kafka broker classpath and the unpacked Apicurio Registry, built by ops/runtime.
ensure_runtime() {
  if compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null && [[ -n "$(registry_jar)" ]]; then
    return 0
  fi
  info "building the stack runtime (mvn -pl ops/runtime package; the first time downloads Kafka and Apicurio Registry)"
  mvn_quiet -pl ops/runtime package || die "the Maven build of ops/runtime failed (output above)"
  [[ -n "$(registry_jar)" ]] || die "ops/runtime built, but no Apicurio runner jar is in $APICURIO_DIR"
}

# The jar of the Java ops tool (io.melodyud.ops.OpsCli), empty if it is not built.
ops_jar() {
  compgen -G "$REPO_DIR/ops/target/melody-ops-*.jar" | grep -Ev -- '-(sources|javadoc|tests)\.jar$' | head -n 1 || true
}

# Builds the ops tool when it is missing or older than a source it is built from.
ensure_ops_tool() {
  local jar
  jar="$(ops_jar)"
  if [[ -n "$jar" && -d "$REPO_DIR/ops/target/lib" ]] &&
    [[ -z "$(find "$REPO_DIR/pom.xml" "$REPO_DIR/ops/pom.xml" "$REPO_DIR/ops/src" "$REPO_DIR/ops/topics" \
      "$REPO_DIR/schemas" -name target -prune -o -type f -newer "$jar" -print -quit 2>/dev/null)" ]]; then
    return 0
  fi
  info "building the ops tool (mvn -pl ops -am package -DskipTests)"
  mvn_quiet -pl ops -am package -DskipTests || die "the Maven build of the ops tool failed (output above)"
  jar="$(ops_jar)"
  [[ -n "$jar" ]] || die "the ops build produced no ops/target/melody-ops-*.jar"
  # Maven leaves an up-to-date jar untouched; mark it as checked so the next `up` does not build again.
  touch "$jar"
}
