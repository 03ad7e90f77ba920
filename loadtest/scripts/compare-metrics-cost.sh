#!/usr/bin/env bash
# Measures what observability costs in throughput: the same saturating Decide load against a server with
# latency recording off (latencyRecording: false, no metrics port) and on (the default, plus the metrics
# port with /metrics and /latency.json scraped once a second, as Prometheus and the live page would).
# The modes alternate (off, on, on, off, ...) so drift of the shared box falls on both.
# Usage: loadtest/scripts/compare-metrics-cost.sh [OUT_DIR] [ROUNDS]   (about 2 minutes a run, 2 runs a round)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/metrics-cost}"
ROUNDS="${2:-2}"
PORT=50098
METRICS_PORT=50099
RATE=30000            # more than the server can answer on 2 cores: the run measures saturation
mkdir -p "$OUT"
cd "$ROOT"
./formica version >/dev/null     # builds the jar if stale
# run a private copy, so that a rebuild during the run cannot swap the jar under a running JVM
cp engine/target/formica.jar engine/target/jvm.options "$OUT/"
FORMICA=(java @"$OUT/jvm.options" -jar "$OUT/formica.jar")
printf 'latencyRecording: false\n' > "$OUT/off.yaml"
printf 'latencyRecording: true\n' > "$OUT/on.yaml"
run() {   # MODE RUN_ID
  local MODE=$1 ID=$2 DATA="$OUT/data-$2" EXTRA=(); SCRAPER=""
  rm -rf "$DATA"; sync
  # the previous server may still be releasing its ports
  for _ in $(seq 1 30); do ss -ltn | grep -qE ":($PORT|$METRICS_PORT) " || break; sleep 1; done
  [ "$MODE" = on ] && EXTRA=(--metrics-port $METRICS_PORT)
  "${FORMICA[@]}" serve --port $PORT --data-dir "$DATA" --config "$OUT/$MODE.yaml" "${EXTRA[@]}" \
      > "$OUT/server-$ID.log" 2>&1 &
  SERVER=$!   # global: the EXIT trap needs it
  trap 'kill $SERVER ${SCRAPER:-} 2>/dev/null || true' EXIT
  for _ in $(seq 1 60); do grep -q "serving on" "$OUT/server-$ID.log" && break; sleep 1; done
  if [ "$MODE" = on ]; then
    ( while sleep 1; do curl -s -o /dev/null http://127.0.0.1:$METRICS_PORT/metrics || true
        curl -s -o /dev/null http://127.0.0.1:$METRICS_PORT/latency.json || true; done ) > /dev/null 2>&1 &
    SCRAPER=$!
  fi
  "${FORMICA[@]}" loadtest --target 127.0.0.1:$PORT --borrowers 100000 --load-profiles --target-rpc decide \
      --rate 3000 --duration 15s --warmup 5s > "$OUT/warm-$ID.txt" 2>&1
  "${FORMICA[@]}" loadtest --target 127.0.0.1:$PORT --borrowers 100000 --target-rpc decide --rate $RATE \
      --max-in-flight 256 --duration 30s --warmup 10s --max-requests 2000000 > "$OUT/run-$ID.txt" 2>&1
  [ "$MODE" = on ] && { ls "$DATA/latency/" > "$OUT/hlog-$ID.txt"; kill "$SCRAPER"; wait "$SCRAPER" 2>/dev/null || true; }
  kill $SERVER; wait $SERVER 2>/dev/null || true
  trap - EXIT
  rm -rf "$DATA"; sync
  printf '%-8s %-4s %s\n' "$ID" "$MODE" "$(grep -E '^ *throughput/s' "$OUT/run-$ID.txt" | tr -s ' ')"
}
for R in $(seq 1 "$ROUNDS"); do
  if [ $((R % 2)) -eq 1 ]; then ORDER=(off on); else ORDER=(on off); fi
  for MODE in "${ORDER[@]}"; do run "$MODE" "r$R-$MODE"; done
done | tee "$OUT/summary.txt"
