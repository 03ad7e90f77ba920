#!/usr/bin/env bash
# Issue 22: the consensus engines side by side, each with 3 replicas (separate JVMs) on 127.0.0.1, ports 50520-50599.
# Per engine: commit latency of a 1 KB entry (one writer, closed loop, then a fixed rate), CPU per entry, and the time
# from kill -9 of the leader to the next committed entry. Engines run back to back, REPEATS times.
#
#   benchmarks/scripts/cluster-bench.sh                       # all engines, 2 repeats, about 20-30 minutes on a busy 2-core box
#   ENGINES=ratis REPEATS=1 CLOSED_SECONDS=5 benchmarks/scripts/cluster-bench.sh
#
# Results: the table on stdout and in cluster-bench/target/cluster-bench-results.md; the replicas' output in
# cluster-bench/target/cluster-bench-logs; their data directories are deleted. Bounded by TIMEOUT seconds (default
# 1800); every replica is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

ENGINES=${ENGINES:-aeron,ratis,ratis-nosync,kafka,kafka-txn}
REPEATS=${REPEATS:-2}
CLOSED_SECONDS=${CLOSED_SECONDS:-10}
CLOSED_MAX=${CLOSED_MAX:-20000}
RATE=${RATE:-50}
RATE_SECONDS=${RATE_SECONDS:-10}
TIMEOUT=${TIMEOUT:-1800}
OUT=cluster-bench/target/cluster-bench-results.md
LOGS=cluster-bench/target/cluster-bench-logs
WORK=$(mktemp -d -t formica-cluster-bench.XXXXXX)

mvn -o -q -pl cluster-bench compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
CP="cluster-bench/target/classes:$(cat cluster-bench/target/classpath.txt)"

PID=
cleanup() {
  # SIGTERM runs the harness's shutdown hook, which kills the replicas; then remove what a killed run left
  if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK" /dev/shm/formica-cb-fcb* 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
timeout --signal=TERM "$TIMEOUT" java -Xmx512m --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.formica.clusterbench.Bench run \
  --engines "$ENGINES" --repeats "$REPEATS" --closed-seconds "$CLOSED_SECONDS" --closed-max "$CLOSED_MAX" \
  --rate "$RATE" --rate-seconds "$RATE_SECONDS" --out "$OUT" --work "$WORK" --logs "$LOGS" &
PID=$!
wait "$PID"
PID=
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
