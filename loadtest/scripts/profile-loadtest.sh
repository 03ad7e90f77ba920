#!/usr/bin/env bash
# Where the LOAD TOOL's own CPU goes, Decide against Echo: one fresh server, the sample profiles loaded, then each RPC
# at the same fixed rate from one loadtest JVM, with async-profiler (as profile-server.sh fetches it) attached to that
# JVM, not the server, for the measured part only (after its warm-up). The load tool shares the cores with the server,
# so every microsecond it spends on a call is taken from the server. Writes OUT/client-decide.collapsed and
# OUT/client-echo.collapsed (CPU samples every 1 ms of CPU time, all threads) and OUT/client-breakdown.txt: samples
# per component as microseconds of the load tool's CPU per request (ProfileBreakdown.java --client).
# LOADTEST_JAR measures another load tool against the same server jar (JAR; lib.sh loadtool_copy).
# Usage: [JAR=server.jar] [LOADTEST_JAR=loadtool.jar] [SERVE_ARGS="--durability process"] \
#        loadtest/scripts/profile-loadtest.sh [OUT_DIR] [RATE] [DURATION] [WARMUP]   (defaults: 2000 30s 40s)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/profile-loadtest}"
RATE="${2:-2000}"
DURATION="${3:-30s}"
WARMUP="${4:-40s}"
PORT=50183          # not 50097-50099, 50185-50197: other scripts use those
METRICS_PORT=50184
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$ROOT"
. loadtest/scripts/lib.sh

async_profiler "$OUT"

fresh_server "$OUT" $PORT $METRICS_PORT ${SERVE_ARGS:-}
loadtool_copy "$OUT"
java @"$OUT/jvm.options" $LOADTOOL_OPTS -jar "$LOADTOOL" loadtest --target 127.0.0.1:$PORT --borrowers 100000 \
    --load-profiles --target-rpc decide --rate 100 --duration 1s --warmup 0s --report-dir "$OUT/report-load" \
    > "$OUT/loadtest-profiles.txt" 2>&1 || true
secs() { local d="$1"; echo "${d%s}"; }
for rpc in decide echo; do
  java @"$OUT/jvm.options" $LOADTOOL_OPTS -jar "$LOADTOOL" loadtest --target 127.0.0.1:$PORT \
      --server-metrics-port $METRICS_PORT --borrowers 100000 --target-rpc $rpc --rate "$RATE" \
      --duration "$DURATION" --warmup "$WARMUP" --report-dir "$OUT/report-$rpc" > "$OUT/loadtest-$rpc.txt" 2>&1 &
  CLIENT=$!
  sleep $(( $(secs "$WARMUP") + 1 ))   # the JVM's start-up and the warm-up, unprofiled
  jcmd "$CLIENT" JVMTI.agent_load "$AGENT" "\"start,event=cpu,interval=1ms,threads\"" > /dev/null
  sleep $(( $(secs "$DURATION") - 2 ))
  jcmd "$CLIENT" JVMTI.agent_load "$AGENT" "\"stop,file=$OUT/client-$rpc.collapsed,collapsed\"" > /dev/null
  wait "$CLIENT" || true
done
stop_server
requests=$(awk -v d="$(secs "$DURATION")" -v r="$RATE" 'BEGIN {print (d - 2) * r}')
java "$ROOT/loadtest/scripts/ProfileBreakdown.java" --client "$requests" "$OUT/client-decide.collapsed" \
    "$OUT/client-echo.collapsed" | tee "$OUT/client-breakdown.txt"
for rpc in decide echo; do
  echo "== $rpc at $RATE/s"
  grep -E "throughput/s|error share|corrected p(50|99|99.9) ms|CPU us/req" "$OUT/loadtest-$rpc.txt" || true
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
