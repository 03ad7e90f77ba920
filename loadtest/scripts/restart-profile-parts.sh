#!/usr/bin/env bash
# restart-profile-parts.sh FILE.collapsed [INTERVAL_S]: a `formica serve` start's CPU by part, from async-profiler's
# folded stacks with thread names (serve-restart.sh with SERVE_JAVA_OPTS="-agentpath:.../libasyncProfiler.so=start,
# event=ctimer,interval=5ms,threads,ann,file=FILE.collapsed"): seconds per thread (over 0.2 s) and, of the
# formica-replay-* threads (snapshot load, replay, reconciliation), per part. A stack goes to the first pattern it
# matches. INTERVAL_S: the sampling interval (0.005).
set -euo pipefail
awk -v iv="${2:-0.005}" '
{ n = $NF; st = $0; sub(/ [0-9]+$/, "", st); total += n
  thread = st; sub(/;.*/, "", thread); gsub(/ tid=[0-9]+/, "", thread); gsub(/-[0-9]+\]|#[0-9]+\]/, "-N]", thread)
  threads[thread] += n
  if (st !~ /formica-replay/) next
  p = "replay: other"
  if (st ~ /ShardSnapshot\.read.*DecisionRecords/) p = "snapshot load: idempotency records"
  else if (st ~ /ShardSnapshot\.read.*HoldBook/) p = "snapshot load: holds"
  else if (st ~ /ShardSnapshot\.read.*CreditLedger/) p = "snapshot load: ledger"
  else if (st ~ /ShardSnapshot\.read.*BorrowerDocuments/) p = "snapshot load: profiles, line notes"
  else if (st ~ /ShardSnapshot\.read.*ExposureBook/) p = "snapshot load: exposure records"
  else if (st ~ /ShardSnapshot\.read.*BorrowerActivity/) p = "snapshot load: activity"
  else if (st ~ /ShardSnapshot\.read.*VelocityWindows/) p = "snapshot load: velocity merge"
  else if (st ~ /ShardSnapshot\.checked|CRC32C/) p = "snapshot load: checksum"
  else if (st ~ /ShardSnapshot\.(read|load)/) p = "snapshot load: the stream, other"
  else if (st ~ /ShardProcessor\.recover.*forEachBrief/) p = "reconciliation: holds walk"
  else if (st ~ /ShardProcessor\.recover.*CreditLedger\.forEach/) p = "reconciliation: ledger walk"
  else if (st ~ /ShardExposures\.reconcile/) p = "reconciliation: exposure records"
  else if (st ~ /ShardProcessor\.recover.*queue/) p = "reconciliation: hold queues"
  else if (st ~ /ShardProcessor\.recover/) p = "reconciliation: other"
  else if (st ~ /VelocityWindows\.slotFor/) p = "replay: velocity slot search"
  else if (st ~ /Replayer\.apply|LogSegments/) p = "replay: frames, other"
  parts[p] += n }
END { printf "all threads %.2f s\n", total * iv
      for (t in threads) if (threads[t] * iv >= 0.2) printf "thread %s %.2f\n", t, threads[t] * iv
      for (p in parts) printf "%s %.2f\n", p, parts[p] * iv }' "$1" | sort
