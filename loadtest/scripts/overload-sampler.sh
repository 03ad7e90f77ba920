#!/usr/bin/env bash
# Once a second until killed: the server's overload gauges and counters from /metrics, and every server thread's
# schedstat (CPU ns, run-queue wait ns, time slices: /proc/PID/task/TID/schedstat), appended to OUT_FILE. Read
# with overload-samples.py. It tells apart where admitted Decides wait during an overload: unread behind a loop's
# read pause, behind the log writer's sync (and the writer's wait for a CPU), or neither.
# Usage: overload-sampler.sh SERVER_PID METRICS_PORT OUT_FILE
# METRICS_PORT - samples only the threads (of any process: overload.sh samples the load tool's this way, read with
# thread-samples.py).
set -uo pipefail
PID="$1"; MPORT="$2"; OUT_FILE="$3"
KEEP='^formica_(admission_in_flight|admission_limit|loop_reads_paused_seconds|loop_read_pauses|log_unsynced_bytes|shed_total|shard_queue_depth|decisions_total|log_sync_duration_seconds_(count|sum)|rpc_total\{[^}]*Decide)'
while kill -0 "$PID" 2>/dev/null; do
  {
    echo "T $(date +%s%N)"
    [ "$MPORT" = - ] || curl -s --max-time 0.8 "http://127.0.0.1:$MPORT/metrics" | grep -E "$KEEP" | sed 's/^/M /'
    for t in /proc/"$PID"/task/*; do
      read -r cpu wait slices < "$t/schedstat" 2>/dev/null || continue
      echo "S ${t##*/} $(tr ' ' _ < "$t/comm" 2>/dev/null) $cpu $wait $slices"
    done
  } >> "$OUT_FILE"
  sleep 1   # the sampling period, not synchronisation
done
