#!/usr/bin/env bash
# Decide / Echo saturation on one fresh server, same client, same run: the 100,000 sample borrowers, a 70 s
# warm-up of Decide (the JIT compiles for about the first 35 s on 2 cores), then a bounded find-max of Decide and
# then of Echo (rate x1.25 per 10 s step until p99 > SLO or errors > 1 %; a failing step is run once more). Prints
# each search's saturation and what ended it (saturation, or its budget: NOT saturated), and the ratio with what it
# may claim: "=" when both saturated, "<=" when Echo did not (it can do more), ">=" when Decide did not.
# Usage: [JAR=path/to/formica.jar] [LOADTEST_JAR=path/to/formica.jar] [SERVE_ARGS="--durability process"] [SLO=5ms] \
#        [ECHO_RATE=N | ECHO_FIRST=1] loadtest/scripts/find-max.sh [OUT_DIR] [START_RATE]
#        (defaults: target/find-max 3000; 4.7-5.5 minutes on 2026-12-07, at most about 8)
# Decide goes first: a search's overloaded last steps leave the server worse for a search after it (Echo's, at
# 71,054/s with p99 > 1 s, spoiled the Decide search after it on 2026-12-07), and Echo's are the heavier. Echo's
# search starts at Decide's last passing rate (ECHO_RATE sets it): an Echo is a subset of a Decide's work, so it
# passes there, and from there it saturates within BUDGET, where from START_RATE it often passed all 16 steps
# (to 56,843/s) and left the ratio an upper bound. Echo is not in the warm-up: its first steps, far below its
# saturation, warm it. ECHO_FIRST=1 runs the script as before 2026-12-07 (both warmed, Echo searched first, both
# from START_RATE).
# SLO is the p99 a step must keep (5 ms by default); on a day when even Echo misses 5 ms at the start rate,
# a looser SLO still finds where each RPC stops keeping up. PORT and METRICS_PORT move the server (to run beside
# another script); LOADTEST_ARGS are added to both load runs (e.g. --no-shard-ports; --shard-ports for a jar from
# before it was the default). LOADTEST_JAR runs the load tool of another jar against the server of JAR, with
# LOADTEST_JAVA_OPTS as its JVM options (lib.sh loadtool_copy); a tool from before --echo-rate (2026-12-07) takes
# neither ECHO_RATE nor ECHO_FIRST and searches Echo first.
# BUDGET is each search's time (160s: 16 steps of 10 s).
# The server takes no snapshot during the run (FORMICA_SNAPSHOT_INTERVAL=1h unless set; the product's default is 2m):
# a snapshot replays the log written since the last one on the same 2 cores, so it lands on whichever step is
# running and charges the Decide traffic before it to that step. On 2026-12-07 the first one (3.9-5.6 s a shard, 2 m
# after start) fell on Decide's 3,906/s step in both `fsync` runs, and in `process` mode the one after Decide's
# search (633,362 and 759,844 frames, 22.6 + 18.6 s) covered Echo's whole search: Echo failed 36,380/s there,
# which it passed with snapshots off. FORMICA_SNAPSHOT_INTERVAL=2m measures with them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/find-max}"
RATE="${2:-3000}"
PORT="${PORT:-50187}"                 # not 50097-50099, 50189-50197: other scripts use those
METRICS_PORT="${METRICS_PORT:-50188}"
export FORMICA_SNAPSHOT_INTERVAL="${FORMICA_SNAPSHOT_INTERVAL:-1h}"
mkdir -p "$OUT"
cd "$ROOT"
echo "start $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
. loadtest/scripts/lib.sh
fresh_server "$OUT" $PORT $METRICS_PORT ${SERVE_ARGS:-}
loadtool_copy "$OUT"
FORMICA=(java @"$OUT/jvm.options" $LOADTOOL_OPTS -jar "$LOADTOOL")
ORDER=(${ECHO_RATE:+--echo-rate "$ECHO_RATE"} ${ECHO_FIRST:+--echo-first})
"${FORMICA[@]}" loadtest --target 127.0.0.1:$PORT --borrowers 100000 --load-profiles \
    --target-rpc "$([ -n "${ECHO_FIRST:-}" ] && echo both || echo decide)" \
    --rate "$RATE" --duration 70s --warmup 0s --report-dir "$OUT/warm" ${LOADTEST_ARGS:-} > "$OUT/warm.txt" 2>&1
"${FORMICA[@]}" loadtest --target 127.0.0.1:$PORT --server-metrics-port $METRICS_PORT --borrowers 100000 \
    --target-rpc both --find-max --rate "$RATE" ${ORDER[@]+"${ORDER[@]}"} --slo-p99 "${SLO:-5ms}" --step 1.25 \
    --step-duration 10s --duration "${BUDGET:-160s}" --warmup 5s --report-dir "$OUT/report" \
    ${LOADTEST_ARGS:-} > "$OUT/findmax.txt" 2>&1 || true
stop_server
grep -E "saturation|ratio|CPU us/req" "$OUT/findmax.txt"
echo "end $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
