# shellcheck shell=bash
# Kafka 4.3.1 broker in KRaft combined mode (broker and controller in one JVM), from ops/runtime's classpath.

kafka_log() { printf '%s/logs/server.log' "$KAFKA_DIR"; }

kafka_pid() { live_pid "$(pid_file kafka)" "-Dmelody.component=kafka -Dmelody.stack.dir=$STACK_DIR "; }

# Healthy means the broker answers a Kafka request: an ApiVersions (key 18, version 0) request with correlation id 42
# must come back with that correlation id. Plain bash, so that `status` needs no JVM.
kafka_healthy() {
  local reply
  # shellcheck disable=SC2016 # $1 belongs to the inner bash.
  reply="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x00\x00\x00\x10\x00\x12\x00\x00\x00\x00\x00\x2a\x00\x06melody" >&3
    head -c 8 <&3 | od -An -tx1 | tr -d " \n"' _ "$MELODY_KAFKA_PORT" 2>/dev/null)" || return 1
  [[ "${reply:8:8}" == 0000002a ]]
}

# The JVM command line shared by the broker and its storage tool.
kafka_java_command() {
  KAFKA_JAVA=(java -Xmx"$MELODY_KAFKA_HEAP" -Xms256m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$OPS_DIR/stack/conf/kafka-log4j2.xml"
    -Dkafka.logs.dir="$KAFKA_DIR/logs" -Dmelody.component=kafka -Dmelody.stack.dir="$STACK_DIR"
    -cp "$KAFKA_LIBS/*")
}

kafka_start() {
  local props="$KAFKA_DIR/server.properties" format_log="$KAFKA_DIR/logs/format.log"
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  kafka_java_command
  render "$OPS_DIR/stack/conf/kafka-server.properties.in" "$props" \
    "PORT=$MELODY_KAFKA_PORT" "CONTROLLER_PORT=$MELODY_KAFKA_CONTROLLER_PORT" "DATA_DIR=$KAFKA_DIR/data"
  if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
    # Formatted once; the cluster id is kept in cluster.id beside the data for anyone who needs to look it up.
    if [[ ! -s "$KAFKA_DIR/cluster.id" ]]; then
      if ! "${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid >"$KAFKA_DIR/cluster.id.tmp" 2>"$format_log"; then
        printf 'melody: error: kafka: StorageTool random-uuid failed\n' >&2
        show_log_tail "$format_log"
        return 1
      fi
      tr -d '[:space:]' <"$KAFKA_DIR/cluster.id.tmp" >"$KAFKA_DIR/cluster.id"
      rm -f "$KAFKA_DIR/cluster.id.tmp"
    fi
    if ! "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$(<"$KAFKA_DIR/cluster.id")" -c "$props" --standalone \
      >>"$format_log" 2>&1; then
      printf 'melody: error: kafka: formatting the storage in %s failed\n' "$KAFKA_DIR/data" >&2
      show_log_tail "$format_log"
      return 1
    fi
  fi
  spawn kafka "$KAFKA_DIR" "$KAFKA_DIR/kafka.out" "${KAFKA_JAVA[@]}" kafka.Kafka "$props"
}

kafka_stop() {
  local pid
  pid="$(kafka_pid)" || return 0
  # A controlled shutdown of a single combined node takes a few seconds.
  stop_pid kafka "$pid" 60
  rm -f "$(pid_file kafka)"
}
