#!/usr/bin/env bash
# What tracing costs the server, per request: Decide and Echo at the same fixed rate against a fresh server with
# tracing off (the default), then against one with tracing on where no call is sampled (ratio 0, no traceparent
# from the load generator: the interceptor parses headers and asks the sampler, no span is recorded). The
# server's CPU per request comes from its /metrics (measured part only). Decide / Echo in the same run is the
# number to compare; absolute microseconds move with whatever else the box runs.
# Usage: [JAR=path/to/formica.jar] [PORT=50460] [METRICS_PORT=50461] [SERVE_ARGS="--durability process"] \
#        loadtest/scripts/tracing-cost.sh [OUT_DIR] [RATE] [DURATION] [WARMUP]   (defaults: 1000 20s 20s)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/tracing-cost}"
RATE="${2:-1000}"
DURATION="${3:-20s}"
WARMUP="${4:-20s}"
PORT="${PORT:-50460}"
METRICS_PORT="${METRICS_PORT:-50461}"
mkdir -p "$OUT"
cd "$ROOT"
. loadtest/scripts/lib.sh
for tracing in off on; do
  mkdir -p "$OUT/$tracing"
  # nothing is sampled, so nothing is exported: the endpoint is never dialled
  FORMICA_TRACING=$tracing FORMICA_TRACING_SAMPLE_RATIO=0 fresh_server "$OUT/$tracing" "$PORT" "$METRICS_PORT" \
      ${SERVE_ARGS:-}
  java @"$OUT/$tracing/jvm.options" -jar "$OUT/$tracing/formica.jar" loadtest --target 127.0.0.1:"$PORT" \
      --borrowers 100000 --load-profiles --target-rpc decide --rate 100 --duration 1s --warmup 0s \
      --report-dir "$OUT/$tracing/report-load" > "$OUT/$tracing/loadtest-profiles.txt" 2>&1
  for rpc in decide echo; do
    java @"$OUT/$tracing/jvm.options" -jar "$OUT/$tracing/formica.jar" loadtest --target 127.0.0.1:"$PORT" \
        --server-metrics-port "$METRICS_PORT" --borrowers 100000 --target-rpc $rpc --rate "$RATE" \
        --duration "$DURATION" --warmup "$WARMUP" --report-dir "$OUT/$tracing/report-$rpc" \
        > "$OUT/$tracing/loadtest-$rpc.txt" 2>&1 || true
  done
  stop_server
done
for tracing in off on; do
  for rpc in decide echo; do
    echo "== tracing $tracing, $rpc at $RATE/s"
    grep -E "throughput/s|error share|corrected p(50|99) ms|CPU us/req" "$OUT/$tracing/loadtest-$rpc.txt" || true
  done
done
