# shellcheck shell=bash
# The pipeline's applications on the local stack, started by `ops/melody run` and stopped by `ops/melody down`:
# CDC (connectors/), the topologies (topologies/), the sinks (sinks/) and the load generator (ops/). Each runs as its
# own JVM with a settings file written from the stack's endpoints under <stack dir>/apps/<name>/, and a log there.
# Every one of them also runs on its own with its committed example configuration (see README "Components").

APPS_DIR() { printf '%s/apps' "$STACK_DIR"; }

# Order matters: `down` stops them in reverse (producers first, then the topologies, then the sinks).
PIPELINE_APPS=(cdc clickhouse-sink postgres-sink play-analytics royalties ad-reports)

app_pid() { live_pid "$(pid_file "$1")" "-Dmelody.component=$1 "; }

app_http_port() {
  case $1 in
    play-analytics) printf '%s' "$MELODY_PLAY_ANALYTICS_HTTP_PORT" ;;
    royalties) printf '%s' "$MELODY_ROYALTIES_HTTP_PORT" ;;
    ad-reports) printf '%s' "$MELODY_AD_REPORTS_HTTP_PORT" ;;
    *) return 1 ;;
  esac
}

# A Streams application is healthy when its HTTP API says so; CDC and the sinks when their process lives.
app_healthy() {
  local port
  if port="$(app_http_port "$1")"; then
    [[ "$(http_status "http://127.0.0.1:$port/health")" == 200 ]]
  else
    app_pid "$1" >/dev/null
  fi
}

module_jar() { compgen -G "$REPO_DIR/$1/target/melody-$2-*.jar" | grep -v -- '-tests.jar' | head -n 1 || true; }

# Builds the application modules and their runtime classpaths (target/lib) when missing or older than the code.
ensure_apps_built() {
  local module artifact jar stale=0
  for module in topologies:topologies connectors:connectors sinks:sinks ops:ops; do
    jar="$(module_jar "${module%%:*}" "${module##*:}")"
    if [[ -z "$jar" || -n "$(find "$REPO_DIR/${module%%:*}/src/main" "$REPO_DIR/schemas/avro/src/main" -newer "$jar" \
        -type f -print -quit 2>/dev/null)" ]]; then
      stale=1
    fi
  done
  ((stale == 0)) && return 0
  info "building the applications (mvn -pl topologies,connectors,sinks,ops -am package -DskipTests)"
  mvn_quiet -pl topologies,connectors,sinks,ops -am package -DskipTests || die "building the applications failed"
}
# Kept for the callers of the first issues' name.
ensure_topologies_built() { ensure_apps_built; }

# A random password in a file only the owner reads, created once per stack: the local stack's credentials never
# appear in a committed file, a command line or a log.
ensure_secret() {
  local file
  file="$STACK_DIR/secrets/$1.password"
  if [[ ! -s "$file" ]]; then
    mkdir -p "$STACK_DIR/secrets"
    chmod 700 "$STACK_DIR/secrets"
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$file")
  fi
  printf '%s' "$file"
}

common_settings() {
  cat <<PROPS
schema.registry.url=http://127.0.0.1:$MELODY_REGISTRY_PORT/apis/ccompat/v7
kafka.bootstrap.servers=127.0.0.1:$MELODY_KAFKA_PORT
PROPS
}

# Writes the settings of an application from the stack's; prints the file.
write_app_settings() {
  local name=$1 dir settings
  dir="$(APPS_DIR)/$name"
  settings="$dir/$name.properties"
  mkdir -p "$dir"
  {
    printf '# Written by ops/melody run from the stack settings; every setting: docs/config/%s.md\n' "$name"
    common_settings
    case $name in
      cdc)
        cat <<PROPS
cdc.nodes=worker1=127.0.0.1:$MELODY_PG_WORKER1_PORT,worker2=127.0.0.1:$MELODY_PG_WORKER2_PORT
cdc.reference.node=worker1
cdc.database=melody
cdc.user=melody_cdc
cdc.password.file=$(ensure_secret cdc)
cdc.admin.user=postgres
metrics.port=$MELODY_CDC_METRICS_PORT
PROPS
        ;;
      clickhouse-sink)
        cat <<PROPS
auto.register.schemas=false
clickhouse.url=http://127.0.0.1:$MELODY_CLICKHOUSE_HTTP_PORT
clickhouse.user=default
clickhouse.database=melody
consumer.group=melody-sink-clickhouse
metrics.port=$MELODY_CLICKHOUSE_SINK_METRICS_PORT
PROPS
        ;;
      postgres-sink)
        cat <<PROPS
auto.register.schemas=false
pg.url=jdbc:postgresql://127.0.0.1:$MELODY_PG_COORDINATOR_PORT/melody
pg.user=melody_sink
pg.password.file=$(ensure_secret postgres-sink)
pg.schema=melody_sink
pg.admin.user=postgres
consumer.group=melody-sink-postgres
metrics.port=$MELODY_POSTGRES_SINK_METRICS_PORT
PROPS
        ;;
      play-analytics | royalties | ad-reports)
        cat <<PROPS
application.id=melody-$name
state.dir=$dir/state
http.port=$(app_http_port "$name")
http.advertised.host=127.0.0.1
PROPS
        [[ "$name" != play-analytics ]] || cat <<PROPS
dashboard.royalties.url=http://127.0.0.1:$MELODY_ROYALTIES_HTTP_PORT
dashboard.ad-reports.url=http://127.0.0.1:$MELODY_AD_REPORTS_HTTP_PORT
PROPS
        ;;
    esac
  } >"$settings"
  printf '%s' "$settings"
}

app_command() {
  local name=$1 settings=$2
  case $name in
    cdc) printf '%s\n' connectors connectors io.melodyud.connectors.cdc.CdcApp "$settings" run ;;
    clickhouse-sink) printf '%s\n' sinks sinks io.melodyud.sinks.clickhouse.ClickHouseSinkApp "$settings" ;;
    postgres-sink) printf '%s\n' sinks sinks io.melodyud.sinks.postgres.PostgresSinkApp "$settings" ;;
    play-analytics) printf '%s\n' topologies topologies io.melodyud.topologies.plays.PlayAnalyticsApp "$settings" ;;
    royalties) printf '%s\n' topologies topologies io.melodyud.topologies.royalties.RoyaltiesApp "$settings" ;;
    ad-reports) printf '%s\n' topologies topologies io.melodyud.topologies.ads.AdReportsApp "$settings" ;;
  esac
}

app_java() {
  local name=$1 module=$2 artifact=$3 heap=$4
  shift 4
  local jar
  jar="$(module_jar "$module" "$artifact")"
  printf '%s\n' java -Xmx"$heap" -XX:+ExitOnOutOfMemoryError -Dmelody.component="$name" \
    -cp "$jar:$REPO_DIR/$module/target/lib/*" "$@"
}

app_start() {
  local name=$1 settings dir log command=() heap=512m
  dir="$(APPS_DIR)/$name"
  settings="$(write_app_settings "$name")"
  log="$dir/$name.log"
  mapfile -t command < <(app_command "$name" "$settings")
  [[ "$name" == play-analytics ]] && heap="$MELODY_PLAY_ANALYTICS_HEAP"
  local module=${command[0]} artifact=${command[1]}
  if [[ "$name" == cdc ]]; then
    # Publications, slots and the least-privileged role: idempotent, before streaming.
    local provision=()
    mapfile -t provision < <(app_java cdc-provision "$module" "$artifact" 256m "${command[2]}" "$settings" provision)
    info "provisioning CDC (publications, slots, role melody_cdc)"
    "${provision[@]}" >>"$log" 2>&1 || { show_log_tail "$log"; return 1; }
  fi
  local java_command=()
  mapfile -t java_command < <(app_java "$name" "$module" "$artifact" "$heap" "${command[@]:2}")
  spawn "$name" "$dir" "$log" "${java_command[@]}"
  local waited=0
  until app_healthy "$name"; do
    if ! app_pid "$name" >/dev/null || ((waited >= MELODY_HEALTH_TIMEOUT * 10)); then
      printf 'melody: error: %s did not become healthy; log: %s\n' "$name" "$log" >&2
      show_log_tail "$log"
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  info "$name is running (log: $log)"
}

app_stop() {
  local pid
  pid="$(app_pid "$1")" || return 0
  info "stopping $1"
  stop_pid "$1" "$pid" 40
  rm -f "$(pid_file "$1")"
}

apps_stop_all() {
  local i
  app_stop loadgen
  for ((i = ${#PIPELINE_APPS[@]} - 1; i >= 0; i--)); do
    app_stop "${PIPELINE_APPS[i]}"
  done
}

# Starts every application that is not running and healthy already.
apps_start_all() {
  local name
  for name in "${PIPELINE_APPS[@]}"; do
    if app_pid "$name" >/dev/null && app_healthy "$name"; then
      info "$name is already running"
    else
      app_stop "$name"
      app_start "$name" || die "$name did not start"
    fi
  done
}

# Kept for `down` of stacks started by an older ops/melody.
play_analytics_stop() { app_stop play-analytics; }

# The load generator of the main job: `rate` events a second for `seconds`, event time running from
# `seconds` x 45 ago up to now (90 minutes for the default two-minute run, 45 times faster than the wall clock): a
# span that always holds an hour's end plus its 5-minute grace, so the summary has a final hourly chart. It stops by itself; its report is <apps>/loadgen/loadgen.log.
loadgen_start() {
  local seconds=$1 rate=$2 dir jar
  dir="$(APPS_DIR)/loadgen"
  mkdir -p "$dir"
  jar="$(ops_jar)"
  spawn loadgen "$dir" "$dir/loadgen.log" \
    java -Xmx1g -Dmelody.component=loadgen -cp "$jar:$REPO_DIR/ops/target/lib/*" io.melodyud.ops.OpsCli loadgen \
    --stack "$STACK_PROPERTIES" --config "$REPO_DIR/ops/config/loadgen.local.properties" \
    --loadgen.rate "$rate" --loadgen.duration.ms "$((seconds * 1000))" --loadgen.time.speedup 45 \
    --loadgen.event.time.start "$(date -u -d "-$((seconds * 45)) seconds" +%FT%TZ)" \
    --loadgen.reference.seed "$MELODY_SEED" --loadgen.reference.users "$MELODY_SEED_USERS" \
    --loadgen.reference.rights.holders "$MELODY_SEED_RIGHTS_HOLDERS" --loadgen.reference.tracks "$MELODY_SEED_TRACKS" \
    --loadgen.reference.campaigns "$MELODY_SEED_CAMPAIGNS"
  sleep 1
  app_pid loadgen >/dev/null || { show_log_tail "$dir/loadgen.log"; return 1; }
  info "load generator: $rate events/s for ${seconds}s (log: $dir/loadgen.log)"
}
