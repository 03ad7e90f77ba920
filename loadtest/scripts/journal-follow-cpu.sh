#!/usr/bin/env bash
# The CPU that `formica journal tail --follow` spends polling a data directory with nothing new in it: utime+stime
# of its process from /proc over SECONDS_WINDOW seconds (default 60), from 5 s after its first line (the initial read done, the
# JIT's first compilations past), once per jar given, in the order given (alternate them: old new new old).
# On a replicated node's data directory it shows what each poll re-reads of the open Raft segment
# (docs/cluster.md, "The audit trail"). Run it under the measurement lock; it starts nothing but the tool.
# Usage: loadtest/scripts/journal-follow-cpu.sh DATA_DIR JAR... [SECONDS_WINDOW=60 in the environment]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="$1"; shift
HZ=$(getconf CLK_TCK)
OPTS="$ROOT/tools/target/jvm.options"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for jar in "$@"; do
  out="$OUT/follow.out"
  : > "$out"
  java @"$OPTS" -jar "$jar" journal tail --follow --data-dir "$DATA" -n 1 > "$out" 2>&1 &
  pid=$!
  start=$(date +%s.%N)
  for _ in $(seq 1 600); do [ -s "$out" ] && break; sleep 0.1; done  # the initial read printed its line
  first=$(echo "$(date +%s.%N) - $start" | bc)
  sleep 5
  t0=$(awk '{print $14+$15}' /proc/$pid/stat); l0=$(cut -d' ' -f1-3 /proc/loadavg)
  sleep "${SECONDS_WINDOW:-60}"
  t1=$(awk '{print $14+$15}' /proc/$pid/stat); l1=$(cut -d' ' -f1-3 /proc/loadavg)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(date -u +%T) $jar: first line after ${first} s; CPU over ${SECONDS_WINDOW:-60} s: $(echo "scale=2; ($t1-$t0)/$HZ" | bc) s; load $l0 -> $l1"
done
