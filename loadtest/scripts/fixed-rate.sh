#!/usr/bin/env bash
# Decide at one fixed rate on a fresh server: client-side percentiles and the CPU each Decide cost the
# load generator and the server (read from the server's /metrics when the warm-up ends and at the end).
# CPU per request is the steadier yardstick on a shared box; compare builds by alternating them.
# With SAMPLE=1 it also samples, for 20 s from 15 s into the measured part, what the kernel writes
# back: the flusher's CPU per 50 ms and the dirty megabytes of each file the server has mapped
# (loadtest/scripts/writeback.py).
# With LOG_TIMES=1 it scrapes the server's /metrics when the warm-up ends and when the load ends (OUT/metrics-start.txt,
# OUT/metrics-end.txt) and prints the histograms recorded in between (loadtest/scripts/histogram-diff.py): the log's
# sync, the answers' wait for durability split (formica_log_*), Decide in the server.
# FIXED_RATE_PORT=P serves on P and P+1 (metrics) instead of 50195 and 50196.
# LOADTEST_JAR drives the load with another jar's load tool against the server of JAR, with LOADTEST_JAVA_OPTS as its
# JVM options (lib.sh loadtool_copy: by default a pre-touched 512 MB heap, since 2026-12-08 here too); LOADTEST_ARGS
# are added to its options (e.g. --sender threads, the load tool's sender before 2026-12-08).
# Usage: [JAR=path/to/formica.jar] [LOADTEST_JAR=path/to/formica.jar] [SERVE_ARGS="--config x.yaml"] [SAMPLE=1] \
#        [LOG_TIMES=1] loadtest/scripts/fixed-rate.sh [OUT_DIR] [RATE] [DURATION] [WARMUP]   (defaults: 3000 40s 70s)
# The warm-up is long because the server's JIT compiler keeps 30-60 % of a core busy for about the first 35 s of
# Decide load on 2 cores (docs/perf-notes/2026-11-28-jit-warm-up-and-the-vm-floor.md); a shorter one
# measures the compiler too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/fixed-rate}"
RATE="${2:-3000}"
DURATION="${3:-40s}"
WARMUP="${4:-70s}"
PORT="${FIXED_RATE_PORT:-50195}"   # not 50097-50099 or 50197: other scripts use those
METRICS_PORT=$((PORT + 1))
mkdir -p "$OUT"
cd "$ROOT"
. loadtest/scripts/lib.sh
fresh_server "$OUT" $PORT $METRICS_PORT ${SERVE_ARGS:-}
decide_load "$OUT" $PORT $METRICS_PORT "$RATE" "$DURATION" "$WARMUP" &
CLIENT=$!
if [ "${LOG_TIMES:-0}" = 1 ]; then
  (  # the warm-up starts once the profiles are loaded
    for _ in $(seq 1 600); do grep -q "loaded profiles" "$OUT/loadtest.txt" 2>/dev/null && break; sleep 1; done
    sleep "${WARMUP%s}"
    curl -s "http://127.0.0.1:$METRICS_PORT/metrics" > "$OUT/metrics-start.txt" || true
  ) &
  SCRAPER=$!
fi
if [ "${SAMPLE:-0}" = 1 ]; then
  sleep $(( ${WARMUP%s} + 15 ))   # WARMUP in whole seconds ("20s")
  python3 loadtest/scripts/writeback.py "$SERVER" 20 > "$OUT/writeback.txt" 2>&1 || true
fi
wait $CLIENT || true
if [ "${LOG_TIMES:-0}" = 1 ]; then
  curl -s "http://127.0.0.1:$METRICS_PORT/metrics" > "$OUT/metrics-end.txt" || true
  kill "$SCRAPER" 2>/dev/null || true
fi
stop_server
decide_summary "$OUT"
if [ "${LOG_TIMES:-0}" = 1 ] && [ -s "$OUT/metrics-start.txt" ]; then
  python3 loadtest/scripts/histogram-diff.py "$OUT/metrics-start.txt" "$OUT/metrics-end.txt" | tee "$OUT/log-times.txt"
fi
[ "${SAMPLE:-0}" != 1 ] || cat "$OUT/writeback.txt"
