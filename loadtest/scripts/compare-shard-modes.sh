#!/usr/bin/env bash
# Measures Decide against Echo for each shard mode on this machine, same client, same run per mode:
# a fresh server per mode on loopback, 100,000 sample borrowers, a bounded find-max of both RPCs.
# Usage: loadtest/scripts/compare-shard-modes.sh [OUT_DIR] [MODE...]   (about 4 minutes a mode)
# Each server's data directory is deleted after its run and the page cache synced, so the next mode
# does not compete with the kernel writing back the previous run's dirty map pages.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/shard-modes}"
shift || true
MODES=("${@:-DEDICATED CALLER_DRAINS}")
[ $# -gt 0 ] || MODES=(DEDICATED CALLER_DRAINS)
PORT=50097
mkdir -p "$OUT"
cd "$ROOT"
./formica version >/dev/null     # builds the jar if stale
# run a private copy, so that a rebuild during the run cannot swap the jar under a running JVM
cp tools/target/formica.jar tools/target/jvm.options "$OUT/"
FORMICA=(java @"$OUT/jvm.options" -jar "$OUT/formica.jar")
sync
for MODE in "${MODES[@]}"; do
  DATA="$OUT/data-$MODE"; rm -rf "$DATA"
  printf 'shardMode: %s\n' "$MODE" > "$OUT/$MODE.yaml"
  "${FORMICA[@]}" serve --port $PORT --data-dir "$DATA" --config "$OUT/$MODE.yaml" > "$OUT/server-$MODE.log" 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 1 60); do grep -q "serving on" "$OUT/server-$MODE.log" && break; sleep 1; done
  # load profiles and warm the JIT on both paths before measuring
  "${FORMICA[@]}" loadtest --target 127.0.0.1:$PORT --borrowers 100000 --load-profiles --target-rpc both \
      --rate 3000 --duration 15s --warmup 5s --report-dir "$OUT/warm-$MODE" > "$OUT/warm-$MODE.txt" 2>&1
  "${FORMICA[@]}" loadtest --target 127.0.0.1:$PORT --borrowers 100000 --target-rpc both --find-max --rate 4000 \
      --step 1.25 --step-duration 10s --duration 150s --warmup 10s --report-dir "$OUT/findmax-$MODE" \
      > "$OUT/findmax-$MODE.txt" 2>&1
  kill $SERVER; wait $SERVER 2>/dev/null || true
  trap - EXIT
  rm -rf "$DATA"; sync
  echo "== $MODE"; grep -E "saturation|ratio" "$OUT/findmax-$MODE.txt"
done
