#!/usr/bin/env bash
# Which part of the data directory costs the tail? Decide at one fixed rate on a fresh server whose data
# directory is on the disk except for the part MODE puts on tmpfs (/dev/shm, never written back), by bind
# mounts. Prints the client's corrected percentiles and the CPU per Decide
# (docs/perf-notes/2026-11-28-file-system-and-the-tail.md).
# Measurement only: needs root (mount --bind), and tmpfs keeps nothing across an OS crash.
# Usage: [JAR=path/to/formica.jar] loadtest/scripts/tmpfs-parts.sh OUT_DIR MODE [RATE] [DURATION] [WARMUP]
#   MODE: ext4 (all on disk) | tmpfs (all on tmpfs) | shards (the shard logs and snapshots on tmpfs)
#         velocity, journal and only-journal-on-disk measured data format 1 (before the shard log), whose
#         velocity.dat and journal/ no longer exist; they now move nothing of the server's.
#   defaults: 3000 40s 70s (the 70 s warm-up outlasts the JIT compiler;
#   see docs/perf-notes/2026-11-28-jit-warm-up-and-the-vm-floor.md)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:?OUT_DIR}"
MODE="${2:?MODE}"
RATE="${3:-3000}"
DURATION="${4:-40s}"
WARMUP="${5:-70s}"
PORT=50193          # not 50097-50099, 50195-50197: other scripts use those
METRICS_PORT=50194
[ "$(id -u)" = 0 ] || { echo "tmpfs-parts.sh: needs root for mount --bind" >&2; exit 2; }
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$ROOT"
. loadtest/scripts/lib.sh
private_copy "$OUT"
DISK="$OUT/data"                 # on the disk of OUT
SHM="/dev/shm/formica-parts-$$"  # on tmpfs
rm -rf "$DISK"; mkdir -p "$DISK" "$SHM"
DATA="$DISK"
MOUNTS=()
bind() { mkdir -p "$2"; mount --bind "$1" "$2"; MOUNTS=("$2" "${MOUNTS[@]}"); }
case "$MODE" in
  ext4) ;;
  tmpfs) DATA="$SHM/data"; mkdir -p "$DATA" ;;
  velocity)   # a file: the server sizes an existing empty file in place, so the bind mount holds
    touch "$DISK/velocity.dat" "$SHM/velocity.dat"
    mount --bind "$SHM/velocity.dat" "$DISK/velocity.dat"; MOUNTS=("$DISK/velocity.dat") ;;
  shards) for s in 0 1; do mkdir -p "$SHM/shard-$s"; bind "$SHM/shard-$s" "$DISK/shard-$s"; done ;;
  journal) mkdir -p "$SHM/journal"; bind "$SHM/journal" "$DISK/journal" ;;
  only-journal-on-disk) DATA="$SHM/data"; mkdir -p "$DISK/journal"; bind "$DISK/journal" "$DATA/journal" ;;
  *) echo "tmpfs-parts.sh: unknown MODE $MODE" >&2; exit 2 ;;
esac
cleanup() {
  kill "${SERVER:-}" 2>/dev/null || true; wait "${SERVER:-}" 2>/dev/null || true
  for m in "${MOUNTS[@]}"; do umount "$m" || true; done
  rm -rf "$DISK" "$SHM"
}
trap cleanup EXIT
start_server "$OUT" "$DATA" $PORT $METRICS_PORT --shards 2   # the shard-N binds above assume 2
decide_load "$OUT" $PORT $METRICS_PORT "$RATE" "$DURATION" "$WARMUP" || true
cleanup
trap - EXIT
echo "$MODE:"
decide_summary "$OUT"
