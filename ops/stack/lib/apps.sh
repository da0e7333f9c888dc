# shellcheck shell=bash
# The pipeline's applications on the local stack (started by `ops/melody run`, stopped by `ops/melody down`).
# Today: play analytics (topologies/). Each runs as its own JVM with a settings file written from the stack's.

APPS_DIR() { printf '%s/apps' "$STACK_DIR"; }

play_analytics_pid() { live_pid "$(pid_file play-analytics)" "-Dmelody.component=play-analytics "; }

play_analytics_healthy() {
  [[ "$(http_status "http://127.0.0.1:$MELODY_PLAY_ANALYTICS_HTTP_PORT/health")" == 200 ]]
}

# Builds the topologies jar and its runtime classpath (topologies/target/lib) when missing or older than the code.
ensure_topologies_built() {
  local jar
  jar="$(compgen -G "$REPO_DIR/topologies/target/melody-topologies-*.jar" | head -n 1 || true)"
  if [[ -z "$jar" || -n "$(find "$REPO_DIR/topologies/src" "$REPO_DIR/schemas/avro/src" -newer "$jar" -type f \
      -print -quit 2>/dev/null)" ]]; then
    info "building the topologies (mvn -pl topologies -am package -DskipTests)"
    mvn_quiet -pl topologies -am package -DskipTests || die "building the topologies failed"
  fi
}

play_analytics_start() {
  local dir settings jar
  dir="$(APPS_DIR)/play-analytics"
  settings="$dir/play-analytics.properties"
  mkdir -p "$dir"
  cat >"$settings" <<PROPS
# Written by ops/melody run from the stack's settings; see docs/config/play-analytics.md.
application.id=melody-play-analytics
state.dir=$dir/state
http.port=$MELODY_PLAY_ANALYTICS_HTTP_PORT
http.advertised.host=127.0.0.1
schema.registry.url=http://127.0.0.1:$MELODY_REGISTRY_PORT/apis/ccompat/v7
kafka.bootstrap.servers=127.0.0.1:$MELODY_KAFKA_PORT
PROPS
  jar="$(compgen -G "$REPO_DIR/topologies/target/melody-topologies-*.jar" | head -n 1)"
  spawn play-analytics "$dir" "$dir/play-analytics.log" \
    java -Xmx"$MELODY_PLAY_ANALYTICS_HEAP" -XX:+ExitOnOutOfMemoryError -Dmelody.component=play-analytics \
    -cp "$jar:$REPO_DIR/topologies/target/lib/*" io.melodyud.topologies.plays.PlayAnalyticsApp "$settings"
  local waited=0
  until play_analytics_healthy; do
    if ! play_analytics_pid >/dev/null || ((waited >= MELODY_HEALTH_TIMEOUT * 10)); then
      printf 'melody: error: play analytics did not become healthy; log: %s\n' "$dir/play-analytics.log" >&2
      show_log_tail "$dir/play-analytics.log"
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  info "play analytics is running: http://127.0.0.1:$MELODY_PLAY_ANALYTICS_HTTP_PORT (log: $dir/play-analytics.log)"
}

play_analytics_stop() {
  local pid
  pid="$(play_analytics_pid)" || return 0
  info "stopping play analytics"
  stop_pid play-analytics "$pid" 40
  rm -f "$(pid_file play-analytics)"
}
