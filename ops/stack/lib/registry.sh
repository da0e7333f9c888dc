# shellcheck shell=bash
# Apicurio Registry 3.0.9 (Quarkus runner jar from ops/runtime), serving the Confluent-compatible API.

registry_log() { printf '%s/registry.log' "$REGISTRY_DIR"; }

registry_pid() { live_pid "$(pid_file registry)" "-Dmelody.component=registry -Dmelody.stack.dir=$STACK_DIR "; }

registry_healthy() {
  [[ "$(http_status "http://127.0.0.1:$MELODY_REGISTRY_PORT/apis/ccompat/v7/subjects")" == 200 ]]
}

registry_jar() { compgen -G "$APICURIO_DIR/apicurio-registry-app-*-runner.jar" | head -n 1; }

registry_start() {
  local storage=()
  mkdir -p "$REGISTRY_DIR"
  if [[ "$MELODY_REGISTRY_STORAGE" == postgresql ]]; then
    pg_ensure_db pg-coordinator registry || {
      printf 'melody: error: registry: could not create the database registry on pg coordinator\n' >&2
      return 1
    }
    # Property names from the application.properties inside the runner jar. The coordinator trusts loopback
    # connections, so the registry's default datasource password is never checked. A small pool: the default
    # (20 connections held open) would take a fifth of PostgreSQL's max_connections.
    storage=(-Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=postgresql
      -Dapicurio.datasource.url="jdbc:postgresql://127.0.0.1:$MELODY_PG_COORDINATOR_PORT/registry"
      -Dapicurio.datasource.username=postgres
      -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2
      -Dapicurio.datasource.jdbc.max-size=10)
  fi
  spawn registry "$REGISTRY_DIR" "$(registry_log)" \
    java -Xmx"$MELODY_REGISTRY_HEAP" -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dmelody.component=registry -Dmelody.stack.dir="$STACK_DIR" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$MELODY_REGISTRY_PORT" "${storage[@]}" \
    '-Dquarkus.log.console.format=%d{yyyy-MM-dd HH:mm:ss} %p [%c{3.}] (%t) %m%n' \
    '-Dquarkus.log.category."io.quarkus.http.access-log".level=WARN' \
    -jar "$(registry_jar)"
}

registry_stop() {
  local pid
  pid="$(registry_pid)" || return 0
  stop_pid registry "$pid" 30
  rm -f "$(pid_file registry)"
}
