#!/usr/bin/env bash
# Where the server's CPU goes, Decide against Echo: one fresh server, the sample profiles loaded, then each RPC at
# the same fixed rate with async-profiler (Maven artifact tools.profiler:async-profiler, linux-x64, fetched into
# ~/.m2 on first use) attached for the measured part only. Writes OUT/decide.collapsed and OUT/echo.collapsed
# (folded stacks, CPU samples every 1 ms of CPU time, all threads) and OUT/breakdown.txt: samples per component,
# as microseconds of CPU per request (samples x interval / requests). A profile's split does not depend on what else
# runs on the machine, but its absolute per-request figures do: compare Decide with the Echo of the same run.
# Usage: [JAR=path/to/formica.jar] [SERVE_ARGS="--durability process"] \
#        loadtest/scripts/profile-server.sh [OUT_DIR] [RATE] [DURATION] [WARMUP]   (defaults: 2000 30s 40s)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/profile-server}"
RATE="${2:-2000}"
DURATION="${3:-30s}"
WARMUP="${4:-40s}"
PORT=50185          # not 50097-50099, 50187-50197: other scripts use those
METRICS_PORT=50186
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$ROOT"
. loadtest/scripts/lib.sh

async_profiler "$OUT"

fresh_server "$OUT" $PORT $METRICS_PORT ${SERVE_ARGS:-}
java @"$OUT/jvm.options" -jar "$OUT/formica.jar" loadtest --target 127.0.0.1:$PORT --borrowers 100000 \
    --load-profiles --target-rpc decide --rate 100 --duration 1s --warmup 0s --report-dir "$OUT/report-load" \
    > "$OUT/loadtest-profiles.txt" 2>&1
secs() { local d="$1"; echo "${d%s}"; }
for rpc in decide echo; do
  # warm-up unprofiled, then the measured part profiled: two runs of the load tool. jcmd reads key=value as its
  # own option, so the agent's option string is passed in quotes.
  java @"$OUT/jvm.options" -jar "$OUT/formica.jar" loadtest --target 127.0.0.1:$PORT --borrowers 100000 \
      --target-rpc $rpc --rate "$RATE" --duration "$WARMUP" --warmup 0s --report-dir "$OUT/report-$rpc-warm" \
      > "$OUT/loadtest-$rpc-warm.txt" 2>&1 || true
  jcmd "$SERVER" JVMTI.agent_load "$AGENT" "\"start,event=cpu,interval=1ms,threads\"" > /dev/null
  java @"$OUT/jvm.options" -jar "$OUT/formica.jar" loadtest --target 127.0.0.1:$PORT \
      --server-metrics-port $METRICS_PORT --borrowers 100000 --target-rpc $rpc --rate "$RATE" \
      --duration "$DURATION" --warmup 0s --report-dir "$OUT/report-$rpc" > "$OUT/loadtest-$rpc.txt" 2>&1 || true
  jcmd "$SERVER" JVMTI.agent_load "$AGENT" "\"stop,file=$OUT/$rpc.collapsed,collapsed\"" > /dev/null
done
stop_server
requests=$(awk -v d="$(secs "$DURATION")" -v r="$RATE" 'BEGIN {print d * r}')
java "$ROOT/loadtest/scripts/ProfileBreakdown.java" "$requests" "$OUT/decide.collapsed" "$OUT/echo.collapsed" \
    | tee "$OUT/breakdown.txt"
for rpc in decide echo; do
  echo "== $rpc at $RATE/s"
  grep -E "throughput/s|error share|corrected p(50|99|99.9) ms|CPU us/req" "$OUT/loadtest-$rpc.txt" || true
done
