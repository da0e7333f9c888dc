#!/usr/bin/env bash
# Benchmark of the play-analytics application on the local stack (see docs/benchmarks.md).
# Usage: ops/bench/play-analytics.sh [--app plays|royalties] [--load N] [--windows minute,hour,day|minute|""] [--threads T] [--heap 1g]
# Needs the stack up (ops/melody up). Loads N plays (default 5,000,000) into melody.events.plays, then runs the
# application on everything in that topic and prints events per second, peak RSS and state size.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ -f .stack/stack.properties ]] || { echo "the local stack is not running: ops/melody up" >&2; exit 1; }
mvn -B -q -pl topology-tests -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath >/dev/null
classpath="topology-tests/target/test-classes:topology-tests/target/classes:$(cat topology-tests/target/bench.classpath)"
for module in topologies schemas/avro; do
  classpath="$classpath:$module/target/classes"
done
classpath="$classpath:schemas/avro/target/test-classes"
exec java -Xmx2g -Dmelody.stack.file=.stack/stack.properties -cp "$classpath" \
  io.melodyud.bench.PlayAnalyticsBenchmark "$@"
