#!/usr/bin/env bash
# Benchmark of the CDC connector on the local stack (see docs/benchmarks.md, "CDC (issue 5)").
# Usage: ops/bench/cdc.sh [--rate N] [--duration S] [--warmup S] [--batch B] [--writers W] [--jfr true]
#        [--cdc.<setting> V ...]
# --rate is the target of row changes per second written to the workers (0: as fast as the writers can).
# Needs the stack up (ops/melody up). Writes into a scratch database of its own on both workers (dropped at the
# end, with its slot, publication and topics) and prints written and published changes per second and the
# commit-to-consumer latency percentiles.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ -f .stack/stack.properties ]] || { echo "the local stack is not running: ops/melody up" >&2; exit 1; }
mvn -B -q -o -pl connectors -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath >/dev/null
classpath="connectors/target/test-classes:connectors/target/classes:$(cat connectors/target/bench.classpath)"
for module in ops schemas/avro; do
  classpath="$classpath:$module/target/classes"
done
classpath="$classpath:schemas/avro/target/test-classes"
jfr=()
args=()
while (($#)); do
  if [[ "$1" == "--jfr" ]]; then
    [[ "${2:-}" == "true" ]] && jfr=("-XX:StartFlightRecording=filename=connectors/target/cdc-bench.jfr,settings=profile")
    shift 2
  else
    args+=("$1")
    shift
  fi
done
exec java -Xmx1g "${jfr[@]}" -Dmelody.stack.file=.stack/stack.properties -Dlog4j2.level=WARN \
  -Dlog4j.configurationFile=connectors/src/test/resources/log4j2-bench.xml -cp "$classpath" \
  io.melodyud.connectors.cdc.CdcBenchmark "${args[@]}"
