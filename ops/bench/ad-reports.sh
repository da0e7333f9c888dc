#!/usr/bin/env bash
# Benchmark of the ad-reports application on the local stack (see docs/benchmarks.md, "Ad reports").
# Usage: ops/bench/ad-reports.sh [--load N] [--threads T] [--heap 1g] [--event-rate R] [--jfr true] [--<setting> V]
# Needs the stack up (ops/melody up). Loads N events (default 2,000,000 impressions and clicks) into the ad event
# topics, then runs the application (exactly-once) on all of them and prints events per second, peak RSS and state size.
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
  io.melodyud.bench.AdReportsBenchmark "$@"
