#!/usr/bin/env bash
# Overload: find Decide's saturation rate on this machine, offer twice that for 20 s, then half of it,
# and report how the server sheds (RESOURCE_EXHAUSTED) and what admitted requests see, at the client and
# in the server (formica latency, per 5 s).
# Usage: [JAR=path/to/formica.jar] [MAX_QUEUE_DELAY=5ms] [SAT=N] [WARMUP=60s] \
#        [SERVE_ARGS="--max-in-flight-decisions 64 ..."] [PORT=50197] [METRICS_PORT=50198] \
#        [LOADTEST_ARGS=--shard-ports] [TOOL_PROFILE=cpu|wall|alloc|lock [TOOL_PROFILE_OPTS=interval=1ms]] \
#        [TOOL_JVMS=one|each] \
#        loadtest/scripts/overload.sh [OUT_DIR]   (about 4 minutes)
# LOADTEST_ARGS go to every load run after the profiles are loaded. The server runs shardMode LOOP (the default)
# and the load goes to its shard ports; FORMICA_SHARD_MODE=dedicated in the environment runs DEDICATED (with a jar
# from before LOOP was the default: FORMICA_SHARD_MODE=loop and LOADTEST_ARGS=--shard-ports for LOOP).
# SAT skips the search and uses N/s as the saturation rate (to compare settings at the same load).
# The server runs with the heap flags ./formica serve uses (fixed, pre-touched 2 GiB); SERVER_JAVA_OPTS come after
# them (e.g. "-XX:-UseG1GC -XX:+UseZGC"), as in lib.sh's start_server.
# LOADTEST_JAR drives the load with another jar's load tool (and LOADTEST_JAVA_OPTS, lib.sh loadtool_copy), e.g.
# one that reports errors by reason, against the server of JAR; unset, the server's jar is the load tool as before.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/overload}"
PORT="${PORT:-50197}"   # not 50097/50098: other scripts use those
METRICS_PORT="${METRICS_PORT:-50198}"   # the sampler's (overload-sampler.sh): where the admitted calls wait
mkdir -p "$OUT"
cd "$ROOT"
. loadtest/scripts/lib.sh
private_copy "$OUT"   # JAR=other.jar measures another build
FORMICA=(java @"$OUT/jvm.options" -jar "$OUT/formica.jar")
DATA="$OUT/data"; rm -rf "$DATA"
# an admin token for `formica latency` (GetLatency is an admin RPC); owner-only, as the server demands
# (only that command gets it: a token on every Decide would add its check to what is measured)
(umask 077; head -c 24 /dev/urandom | base64 > "$OUT/admin.tokens")
java @"$OUT/jvm.options" -Xms2g -Xmx2g -XX:+AlwaysPreTouch ${SERVER_JAVA_OPTS:-} -jar "$OUT/formica.jar" serve \
    --port $PORT --data-dir "$DATA" --admin-token-file "$OUT/admin.tokens" --metrics-port $METRICS_PORT \
    ${MAX_QUEUE_DELAY:+--max-queue-delay $MAX_QUEUE_DELAY} ${SERVE_ARGS:-} \
    > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
await_serving "$OUT/server.log" $SERVER || true
# once a second for the whole run: slots in use, refusals by reason, the loops' read pauses, the bytes waiting for
# their sync and the syncs' times, each server thread's CPU and run-queue wait; overload-samples.py tabulates it
rm -f "$OUT/samples.txt"
loadtest/scripts/overload-sampler.sh $SERVER $METRICS_PORT "$OUT/samples.txt" &
SAMPLER=$!
trap 'kill $SERVER $SAMPLER 2>/dev/null || true' EXIT
if [ -n "${LOADTEST_JAR:-}" ]; then
  loadtool_copy "$OUT"
  LT_JAVA=(java @"$OUT/jvm.options" $LOADTOOL_OPTS)
else
  LOADTOOL="$OUT/formica.jar"; LT_JAVA=(java @"$OUT/jvm.options")
fi
LT_ARGS=(loadtest --target 127.0.0.1:$PORT --borrowers 20000 --target-rpc decide ${LOADTEST_ARGS:-})
LT=("${LT_JAVA[@]}" -jar "$LOADTOOL" "${LT_ARGS[@]}")
# One load-tool JVM sends the warm-up, the overload and the minutes after it (--phase) when the tool has that
# option and TOOL_JVMS is not "each": a tool started afresh for the overload compiled its own code through the
# whole 2x phase (its C2 compiler a quarter of its CPU) and its lag was measured as the server's latency
# (docs/perf-notes/2026-12-07-load-tool-at-overload.md). TOOL_JVMS=each, or an older tool: a JVM per phase.
ONE_JVM=0
if [ "${TOOL_JVMS:-one}" != each ] && [[ "$(java -jar "$LOADTOOL" loadtest --help 2>&1 || true)" == *--phase=* ]]; then
  ONE_JVM=1
fi
# a minute of Decide first: on 2 cores the server's JIT compiler takes 30-60 % of a core for about the first 35 s
# of load (docs/perf-notes/2026-11-28-jit-warm-up-and-the-vm-floor.md), and an overload measured before that
# measures the compiler too
PROFILES=(--load-profiles)
if [ $ONE_JVM = 0 ] || [ -z "${SAT:-}" ]; then
  "${LT[@]}" --load-profiles --rate 3000 --duration "${WARMUP:-60s}" --warmup 5s > "$OUT/warm.txt" 2>&1 || true
  PROFILES=()
fi
[ -n "${SAT:-}" ] || "${LT[@]}" --find-max --rate 1000 --step 1.25 --step-duration 5s --duration 60s --warmup 2s \
    > "$OUT/findmax.txt" 2>&1 || true
[ -n "${SAT:-}" ] || SAT=$(grep -oE "saturation[^0-9]*[0-9,]+" "$OUT/findmax.txt" | head -1 | grep -oE "[0-9,]+$" | tr -d , || true)
SAT=${SAT:-4000}
echo "saturation ${SAT}/s"
# The load tool's own side of the overload: its GC log (tool-gc.log), its threads' CPU and run-queue wait once a
# second (tool-samples.txt, tabulated by thread-samples.py), and with TOOL_PROFILE=cpu (or wall, alloc, lock)
# async-profiler on it: tool-EVENT-first.collapsed is the first TOOL_PROFILE_SPLIT seconds (default 10: the 2 s
# warm-up and the first 8 s of the 2x phase; with a JVM per phase, from that JVM's start), tool-EVENT-rest.collapsed
# the next as many.
TOOL_OPTS=("-Xlog:gc:file=$OUT/tool-gc.log")
if [ -n "${TOOL_PROFILE:-}" ]; then
  async_profiler "$OUT"
  PROF="event=$TOOL_PROFILE,threads${TOOL_PROFILE_OPTS:+,$TOOL_PROFILE_OPTS}"
  [ $ONE_JVM = 1 ] || TOOL_OPTS+=("-agentpath:$AGENT=start,$PROF,file=$OUT/tool-$TOOL_PROFILE-exit.collapsed,collapsed")
fi
# The server's own view while it is overloaded, every 5 s: the Decides it admitted, from the service
# receiving the parsed request to the shard's answer (total), and their wait in a shard queue
# (queue_wait); the first print is the interval before the overload. On these 2 shared cores the
# client's figures also hold the load generator's own backlog.
watch_server() {
  FORMICA_ADMIN_TOKEN="$(cat "$OUT/admin.tokens")" "${FORMICA[@]}" latency --target 127.0.0.1:$PORT \
      --watch --every 5 --count 5 --name total,queue_wait > "$OUT/server-latency.txt" 2>&1 &
  WATCH=$!
}
if [ $ONE_JVM = 1 ]; then
  "${LT_JAVA[@]}" "${TOOL_OPTS[@]}" -jar "$LOADTOOL" "${LT_ARGS[@]}" "${PROFILES[@]}" \
      --phase "warm:3000:${WARMUP:-60s}:5s" --phase "over:$((SAT * 2)):20s:2s" --phase "after:$((SAT / 2)):10s:1s" \
      --run-id ov --report-dir "$OUT/report" > "$OUT/loadtest.txt" 2>&1 &
  TOOL=$!
else
  watch_server
  "${LT_JAVA[@]}" "${TOOL_OPTS[@]}" -jar "$LOADTOOL" "${LT_ARGS[@]}" --rate $((SAT * 2)) --duration 20s --warmup 2s \
      --run-id over --report-dir "$OUT/overload" > "$OUT/overload.txt" 2>&1 &
  TOOL=$!
fi
trap 'kill $SERVER $SAMPLER $TOOL ${WATCH:-} 2>/dev/null || true' EXIT
rm -f "$OUT/tool-samples.txt"
loadtest/scripts/overload-sampler.sh $TOOL - "$OUT/tool-samples.txt" &
if [ $ONE_JVM = 1 ]; then
  # the tool prints "phase over: ..." as the 2x phase starts (polled, as await_serving polls the server's log)
  until grep -q "^phase over" "$OUT/loadtest.txt" || ! kill -0 $TOOL 2>/dev/null; do sleep 0.1; done
  watch_server
  [ -z "${TOOL_PROFILE:-}" ] || jcmd $TOOL JVMTI.agent_load "$AGENT" "\"start,$PROF\"" > /dev/null
fi
if [ -n "${TOOL_PROFILE:-}" ]; then
  split=${TOOL_PROFILE_SPLIT:-10}
  sleep "$split"   # the profile's first part: a time, not synchronisation
  jcmd $TOOL JVMTI.agent_load "$AGENT" "\"stop,file=$OUT/tool-$TOOL_PROFILE-first.collapsed,collapsed\"" > /dev/null
  jcmd $TOOL JVMTI.agent_load "$AGENT" "\"start,$PROF\"" > /dev/null
  sleep "$split"
  jcmd $TOOL JVMTI.agent_load "$AGENT" "\"stop,file=$OUT/tool-$TOOL_PROFILE-rest.collapsed,collapsed\"" > /dev/null \
      || true
fi
wait $TOOL || true
wait $WATCH || true
[ $ONE_JVM = 1 ] || "${LT[@]}" --rate $((SAT / 2)) --duration 10s --warmup 1s --run-id after \
    --report-dir "$OUT/after" > "$OUT/after.txt" 2>&1 || true
kill $SERVER; wait $SERVER 2>/dev/null || true
kill $SAMPLER 2>/dev/null; wait $SAMPLER 2>/dev/null || true
trap - EXIT
python3 loadtest/scripts/overload-samples.py "$OUT/samples.txt" > "$OUT/samples-table.txt" || true
python3 loadtest/scripts/thread-samples.py "$OUT/tool-samples.txt" > "$OUT/tool-samples-table.txt" || true
rm -rf "$DATA"
if [ $ONE_JVM = 1 ]; then
  echo "== warm, overload (over) and after, in one load-tool JVM"; cat "$OUT/loadtest.txt"
else
  for f in overload after; do echo "== $f"; cat "$OUT/$f.txt"; done
fi
echo "== server-side, during the overload"; cat "$OUT/server-latency.txt"
echo "== per second, the whole run (overload-samples.py $OUT/samples.txt)"; cat "$OUT/samples-table.txt"
echo "== the load tool, per second (one JVM: the whole run): CPU/run-queue wait, % of one CPU (thread-samples.py)"
cat "$OUT/tool-samples-table.txt"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
