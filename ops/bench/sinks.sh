#!/usr/bin/env bash
# Benchmark of the ClickHouse and PostgreSQL sinks on the local stack (see docs/benchmarks.md, "Sinks (issue 6)").
# Usage: ops/bench/sinks.sh --store clickhouse|postgres [--rows N] [--steady-rate R] [--steady-seconds S]
#                           [--batch-max M] [--keys K] [--jfr true]
# Needs the stack up (ops/melody up). Loads N records into a topic of its own, runs the sink in the harness JVM on
# one consumer thread, prints rows per second in catch-up and at the steady rate, then removes everything it made.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ -f .stack/stack.properties ]] || { echo "the local stack is not running: ops/melody up" >&2; exit 1; }
jfr=()
args=()
while [[ $# -gt 0 ]]; do
  if [[ "$1" == "--jfr" ]]; then
    [[ "$2" == "true" ]] && { mkdir -p sinks/target/bench; jfr=("-XX:StartFlightRecording=filename=sinks/target/bench/sinks-$(date +%s).jfr,settings=profile"); }
    shift 2
  else
    args+=("$1"); shift
  fi
done
mvn -B -q -o -pl sinks -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath >/dev/null
classpath="sinks/target/test-classes:sinks/target/classes:$(cat sinks/target/bench.classpath)"
classpath="$classpath:schemas/avro/target/classes:schemas/avro/target/test-classes"
exec java -Xmx2g "${jfr[@]}" -Dmelody.stack.file=.stack/stack.properties -cp "$classpath" \
  io.melodyud.sinks.bench.SinksBenchmark "${args[@]}"
