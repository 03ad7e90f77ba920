#!/usr/bin/env bash
# Formica's Echo against a bare grpc-java Echo server (`formica bare-echo`: grpc-java's defaults, directExecutor,
# no interceptors), the same load tool and JVM flags, one after the other in one run: the CPU per call of each
# server and of the load tool at the same fixed rate, then each one's saturation (find-max, p99 SLO). The
# difference between the two servers is what Formica's server set-up costs an empty call (interceptors,
# metrics, validation, its own event loops); the load tool's own CPU per call says how much of the box the
# client takes.
# Usage: [JAR=path/to/formica.jar] loadtest/scripts/echo-vs-bare.sh [OUT_DIR] [RATE] [DURATION] [WARMUP]
#        (defaults: target/echo-vs-bare 5000 20s 30s; about 6 minutes)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/echo-vs-bare}"
RATE="${2:-5000}"
DURATION="${3:-20s}"
WARMUP="${4:-30s}"
PORT=50183          # not 50097-50099, 50185-50197: other scripts use those
METRICS_PORT=50184
mkdir -p "$OUT"
cd "$ROOT"
. loadtest/scripts/lib.sh
private_copy "$OUT"
FORMICA=(java @"$OUT/jvm.options" -jar "$OUT/formica.jar")

# measure NAME: fixed rate, then find-max, of Echo on the server listening on PORT
measure() {
  "${FORMICA[@]}" loadtest --target 127.0.0.1:$PORT --server-metrics-port $METRICS_PORT --target-rpc echo \
      --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" --report-dir "$OUT/report-$1-fixed" \
      > "$OUT/$1-fixed.txt" 2>&1 || true
  "${FORMICA[@]}" loadtest --target 127.0.0.1:$PORT --server-metrics-port $METRICS_PORT --target-rpc echo \
      --find-max --rate "$RATE" --slo-p99 "${SLO:-5ms}" --step 1.25 --step-duration 10s --duration 120s \
      --warmup 5s --report-dir "$OUT/report-$1-max" > "$OUT/$1-max.txt" 2>&1 || true
}

DATA="$OUT/data"; rm -rf "$DATA"
trap 'kill ${SERVER:-} 2>/dev/null || true' EXIT
start_server "$OUT" "$DATA" $PORT $METRICS_PORT
measure formica
stop_server

java @"$OUT/jvm.options" -Xms2g -Xmx2g -XX:+AlwaysPreTouch -jar "$OUT/formica.jar" bare-echo --port $PORT \
    --metrics-port $METRICS_PORT --max-seconds 600 > "$OUT/bare.log" 2>&1 &
SERVER=$!
trap 'kill ${SERVER:-} 2>/dev/null || true' EXIT
await_serving "$OUT/bare.log" $SERVER || true
measure bare
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
trap - EXIT

for server in formica bare; do
  echo "== $server Echo at $RATE/s"
  grep -E "throughput/s|error share|corrected p(50|99) ms|CPU us/req" "$OUT/$server-fixed.txt" || true
  echo "== $server Echo find-max"
  grep -E "saturation" "$OUT/$server-max.txt" || true
done
