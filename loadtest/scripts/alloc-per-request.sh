#!/usr/bin/env bash
# The bytes the server's threads allocate per Decide at a fixed rate, per thread group (the shard threads, the
# event loops, the log writer, ...): ThreadMXBean#getThreadAllocatedBytes of every server thread read before and
# after the measured load (loadtest/scripts/ThreadAllocation.java, through the JVM's local management agent) and
# divided by the Decides the server decided meanwhile (its formica_decisions_total; replays and refusals are not in
# it, so keep the error share low: a box that cannot keep the rate sheds and times out calls). Unlike times, the
# figure hardly depends on the box's load, so two builds can be compared on a busy box (JAR=...). The 100,000 sample
# profiles are loaded and a warm-up load runs first, outside the measured span; the measured load has no warm-up.
# Usage: [JAR=path/to/formica.jar] [SERVE_ARGS="--durability process"] [PORT=50187 METRICS_PORT=50188] \
#        [LOADTEST_ARGS=--shard-ports] loadtest/scripts/alloc-per-request.sh [OUT_DIR] [RATE] [DURATION] [WARMUP]
#        (defaults: 500 20s 30s)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/alloc-per-request}"
RATE="${2:-500}"
DURATION="${3:-20s}"
WARMUP="${4:-30s}"
PORT="${PORT:-50187}"                 # beside cpu-per-request.sh's 50189/50190
METRICS_PORT="${METRICS_PORT:-50188}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$ROOT"
. loadtest/scripts/lib.sh
fresh_server "$OUT" $PORT $METRICS_PORT ${SERVE_ARGS:-}

load() { # NAME DURATION WARMUP [extra loadtest args]
  local name="$1" duration="$2" warmup="$3"
  shift 3
  java @"$OUT/jvm.options" -jar "$OUT/formica.jar" loadtest --target 127.0.0.1:$PORT \
      --server-metrics-port $METRICS_PORT --borrowers 100000 --target-rpc decide --rate "$RATE" \
      --duration "$duration" --warmup "$warmup" --report-dir "$OUT/report-$name" ${LOADTEST_ARGS:-} "$@" \
      > "$OUT/loadtest-$name.txt" 2>&1 || true
}
decisions() { # the server's Decides so far (every outcome)
  curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk '/^formica_decisions_total/ {s += $NF} END {printf "%d", s}'
}
load warmup "$WARMUP" 0s --load-profiles
decided_before=$(decisions)
java loadtest/scripts/ThreadAllocation.java snapshot "$SERVER" "$OUT/threads-before.tsv"
load measured "$DURATION" 0s
java loadtest/scripts/ThreadAllocation.java snapshot "$SERVER" "$OUT/threads-after.tsv"
decided_after=$(decisions)
stop_server
requests=$((decided_after - decided_before))
echo "== Decide at $RATE/s for $DURATION: $requests decided (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
grep -E "throughput/s|error share" "$OUT/loadtest-measured.txt" || true
java loadtest/scripts/ThreadAllocation.java diff "$OUT/threads-before.tsv" "$OUT/threads-after.tsv" "$requests" \
    | tee "$OUT/alloc-per-request.txt"
