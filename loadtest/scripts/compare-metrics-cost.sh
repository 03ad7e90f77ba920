#!/usr/bin/env bash
# Measures what observability costs: server CPU time per Decide at a fixed rate well under saturation,
# with latency recording off (latencyRecording: false) and on (the default, with /metrics and
# /latency.json scraped once a second, as Prometheus and the live page would). On a CPU-bound server
# throughput is inversely proportional to CPU per request, and CPU per request, unlike a saturation run,
# is not thrown about by the other load on a shared box. Both modes serve the metrics port (the OFF run
# uses it only to count the Decide calls). The modes alternate (off, on, on, off, ...).
# Usage: loadtest/scripts/compare-metrics-cost.sh [OUT_DIR] [ROUNDS]   (about 80 s a run, 2 runs a round)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/metrics-cost}"
ROUNDS="${2:-2}"
PORT=50098
METRICS_PORT=50099
RATE=3000             # well under saturation (~7,000-9,000/s on the 2-core VM)
TICK=$(getconf CLK_TCK)
mkdir -p "$OUT"
cd "$ROOT"
./formica version >/dev/null     # builds the jar if stale
# run a private copy, so that a rebuild during the run cannot swap the jar under a running JVM
cp tools/target/formica.jar tools/target/jvm.options "$OUT/"
FORMICA=(java @"$OUT/jvm.options" -jar "$OUT/formica.jar")
printf 'latencyRecording: false\n' > "$OUT/off.yaml"
printf 'latencyRecording: true\n' > "$OUT/on.yaml"
run() {   # MODE RUN_ID
  local MODE=$1 ID=$2 DATA="$OUT/data-$2" EXTRA=(); SCRAPER=""
  rm -rf "$DATA"; sync
  # the previous server may still be releasing its ports
  for _ in $(seq 1 30); do ss -ltn | grep -qE ":($PORT|$METRICS_PORT) " || break; sleep 1; done
  EXTRA=(--metrics-port $METRICS_PORT)
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
  local CPU0 CPU1 N0 N1
  CPU0=$(awk '{print $14 + $15}' /proc/$SERVER/stat); N0=$(decides)
  "${FORMICA[@]}" loadtest --target 127.0.0.1:$PORT --borrowers 100000 --target-rpc decide --rate $RATE \
      --duration 40s --warmup 1s > "$OUT/run-$ID.txt" 2>&1
  CPU1=$(awk '{print $14 + $15}' /proc/$SERVER/stat); N1=$(decides)
  [ "$MODE" = on ] && { ls "$DATA/latency/" > "$OUT/hlog-$ID.txt"; kill "$SCRAPER"; wait "$SCRAPER" 2>/dev/null || true; }
  kill $SERVER; wait $SERVER 2>/dev/null || true
  trap - EXIT
  rm -rf "$DATA"; sync
  awk -v id="$ID" -v mode="$MODE" -v c=$((CPU1 - CPU0)) -v n=$((N1 - N0)) -v t="$TICK" \
      'BEGIN { printf "%-8s %-4s decides %d  server cpu %.2f s  cpu/decide %.1f us\n", id, mode, n, c / t, 1e6 * c / t / n }'
}
decides() {   # Decide calls answered OK so far, from the server's own counter
  curl -s http://127.0.0.1:$METRICS_PORT/metrics \
    | awk -F' ' '/^formica_rpc_total\{code="OK",method="formica.v1.DecisionService\/Decide"\}/ { n = $2 } END { printf "%d", n }'
}
for R in $(seq 1 "$ROUNDS"); do
  if [ $((R % 2)) -eq 1 ]; then ORDER=(off on); else ORDER=(on off); fi
  for MODE in "${ORDER[@]}"; do run "$MODE" "r$R-$MODE"; done
done | tee "$OUT/summary.txt"
