#!/usr/bin/env bash
# Decide and Echo at the same fixed rate against one fresh server, one after the other: the server's CPU per
# request (from its /metrics, measured part only), its log writer's fdatasyncs per request, and its context
# switches per request (all its threads, from
# /proc, over the whole run, warm-up included, divided by every request sent at the fixed rate; the sample
# profiles are loaded by a short run before) and, where `perf` can count the raw_syscalls:sys_enter tracepoint
# (Debian's linux-perf, as root), its system calls per request over the same span. Decide minus Echo is the cost
# of the decision itself on this box.
# Then the server's CPU per request by thread group over each measured part (the shard threads, the event loops, the
# collector's, the JIT compiler's and the VM thread, lib.sh thread_cpu), the last line of each the JVM's own threads.
# SERVER_JAVA_OPTS are JVM options for the server (lib.sh start_server: another collector or heap, a GC log);
# CLASS_HISTOGRAM=1 writes what the heap holds after the Decide load (jcmd GC.class_histogram) to
# OUT/class-histogram.txt, in the Echo load's warm-up (a full collection in a safepoint: 0.48 s with ZGC and 2 GiB).
# LOADTEST_ARGS are added to the measured load runs. The server runs shardMode LOOP (the default) and the load goes
# to its shard ports (loadtest's default); FORMICA_SHARD_MODE=dedicated in the environment measures DEDICATED (the
# load then goes to the main port). With a jar from before LOOP was the default: FORMICA_SHARD_MODE=loop and
# LOADTEST_ARGS=--shard-ports.
# The load tool's own CPU per request (client CPU us/req, measured part) is printed beside the server's; LOADTEST_JAR
# runs the load tool of another jar against the server of JAR (lib.sh loadtool_copy), to compare load tools.
# Usage: [JAR=path/to/formica.jar] [LOADTEST_JAR=path/to/formica.jar] [SERVE_ARGS="--durability process"] [PORT=50189 METRICS_PORT=50190] \
#        [SERVER_JAVA_OPTS="-XX:-UseG1GC -XX:+UseZGC"] [CLASS_HISTOGRAM=1] [LOADTEST_ARGS=--shard-ports] \
#        loadtest/scripts/cpu-per-request.sh [OUT_DIR] [RATE] [DURATION] [WARMUP]   (defaults: 2000 30s 60s)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/cpu-per-request}"
RATE="${2:-2000}"
DURATION="${3:-30s}"
WARMUP="${4:-60s}"
PORT="${PORT:-50189}"                 # not 50097-50099, 50191-50197: other scripts use those
METRICS_PORT="${METRICS_PORT:-50190}" # (override both to run beside another copy of this script)
mkdir -p "$OUT"
cd "$ROOT"
. loadtest/scripts/lib.sh
fresh_server "$OUT" $PORT $METRICS_PORT ${SERVE_ARGS:-}
loadtool_copy "$OUT"

# cpu_ticks PID: user + system CPU of PID so far, in clock ticks (the /proc figure beside the /metrics one, which a
# saturated box can fail to scrape)
cpu_ticks() {
  awk '{print $14 + $15}' /proc/"$1"/stat 2>/dev/null || echo 0
}

# switches PID: voluntary + involuntary context switches of every thread of PID so far
switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}'
}

# log_syncs: the log writer's fdatasyncs so far (fsync mode; 0 in process mode), from the server's /metrics
log_syncs() {
  curl -s "http://127.0.0.1:$METRICS_PORT/metrics" \
      | awk '/^formica_log_sync_duration_seconds_count/ {s += $NF} END {printf "%d", s}'
}

# the 100,000 sample profiles, loaded before anything is measured
java @"$OUT/jvm.options" $LOADTOOL_OPTS -jar "$LOADTOOL" loadtest --target 127.0.0.1:$PORT --borrowers 100000 \
    --load-profiles --target-rpc decide --rate 100 --duration 1s --warmup 0s --report-dir "$OUT/report-load" \
    > "$OUT/loadtest-profiles.txt" 2>&1 || true   # its few Decides may time out on a busy box; the profiles load
: > "$OUT/switches.txt"
# syscalls_start / syscalls_stop RPC: counts the server's system calls (all threads) while the load runs
syscalls_start() {
  SYSCALLS_PID=""
  if command -v perf >/dev/null 2>&1 && perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
    # for the load's span (a background job ignores SIGINT, so perf stops when its sleep ends)
    perf stat -x, -e raw_syscalls:sys_enter -p "$SERVER" -o "$OUT/syscalls-$1.csv" \
        -- sleep "$(awk -v d="${DURATION%s}" -v w="${WARMUP%s}" 'BEGIN {print d + w}')" &
    SYSCALLS_PID=$!
  fi
}
syscalls_stop() { # RPC REQUESTS: sets SYSCALLS_PER_REQ
  if [ -z "$SYSCALLS_PID" ]; then SYSCALLS_PER_REQ="n/a (perf cannot count raw_syscalls here)"; return; fi
  wait "$SYSCALLS_PID" 2>/dev/null || true
  SYSCALLS_PER_REQ=$(awk -F, -v n="$2" '/raw_syscalls/ {printf "%.2f", $1 / n}' "$OUT/syscalls-$1.csv")
}
for rpc in decide echo; do
  before=$(switches "$SERVER"); ticks_before=$(cpu_ticks "$SERVER"); syncs_before=$(log_syncs)
  syscalls_start $rpc
  java @"$OUT/jvm.options" $LOADTOOL_OPTS -jar "$LOADTOOL" loadtest --target 127.0.0.1:$PORT \
      --server-metrics-port $METRICS_PORT --borrowers 100000 --target-rpc $rpc --rate "$RATE" \
      --duration "$DURATION" --warmup "$WARMUP" --report-dir "$OUT/report-$rpc" ${LOADTEST_ARGS:-} \
      > "$OUT/loadtest-$rpc.txt" 2>&1 &
  load=$!
  sleep $(( ${WARMUP%s} + 1 ))   # the load tool's start and warm-up: its measured part begins about here
  thread_cpu "$SERVER" "$OUT/threads-$rpc-before.txt"
  wait $load || true
  thread_cpu "$SERVER" "$OUT/threads-$rpc-after.txt"
  after=$(switches "$SERVER"); ticks_after=$(cpu_ticks "$SERVER"); syncs_after=$(log_syncs)
  if [ "$rpc" = decide ] && [ "${CLASS_HISTOGRAM:-0}" = 1 ]; then   # what the heap holds (a collection first)
    jcmd "$SERVER" GC.class_histogram > "$OUT/class-histogram.txt" 2>&1 || true
  fi
  requests=$(awk -v d="${DURATION%s}" -v w="${WARMUP%s}" -v r="$RATE" 'BEGIN {print (d + w) * r}')
  syscalls_stop $rpc "$requests"
  echo "$rpc: server context switches/req $(awk -v a="$after" -v b="$before" -v n="$requests" \
      'BEGIN {printf "%.2f", (a - b) / n}'), syscalls/req $SYSCALLS_PER_REQ, server CPU us/req (/proc, warm-up \
included) $(awk -v a="$ticks_after" -v b="$ticks_before" -v n="$requests" -v hz="$(getconf CLK_TCK)" \
      'BEGIN {printf "%.1f", (a - b) * 1e6 / hz / n}'), log syncs/req $(awk -v a="$syncs_after" \
      -v b="$syncs_before" -v n="$requests" 'BEGIN {printf "%.3f", (a - b) / n}')" >> "$OUT/switches.txt"
done
stop_server
for rpc in decide echo; do
  echo "== $rpc at $RATE/s"
  grep -E "throughput/s|error share|corrected p(50|99|99.9) ms|CPU us/req" "$OUT/loadtest-$rpc.txt"
done
cat "$OUT/switches.txt"
for rpc in decide echo; do
  echo "== $rpc: server CPU by thread group, measured part (/proc/PID/task/*/stat, ${DURATION%s} s x $RATE/s)"
  thread_cpu_diff "$OUT/threads-$rpc-before.txt" "$OUT/threads-$rpc-after.txt" \
      "$(awk -v d="${DURATION%s}" -v r="$RATE" 'BEGIN {print d * r}')"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
