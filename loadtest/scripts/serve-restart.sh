#!/usr/bin/env bash
# A real restart: the time from `java ... formica.jar serve` to its "formica listening" log line on an existing data
# directory (RestartBenchmark times DecisionPipeline.open only: not the JVM's start, the heap's pre-touch before
# main, or the server around the pipeline). Each VARIANT is one fresh server, started with the launcher's JVM flags
# and a fixed 2 GiB heap, then stopped with SIGTERM; "pretouch" adds -XX:+AlwaysPreTouch, "plain" does not.
# "cds" is "plain" with -XX:SharedArchiveFile=CDS_ARCHIVE (default: the jar's path with -serve.jsa for .jar), the
# dynamic class-data archive ./formica serve uses; when it is missing, one untimed start with
# -XX:ArchiveClassesAtExit writes it first (a training start: listening, then SIGTERM).
# Prints per start: seconds to listening, the process's user and system CPU and minor faults by then, the
# "replayed ... in" line. SERVE_JAVA_OPTS adds JVM options to every start (a profiler agent, -Xlog:...); with
# LOG_DIR each start's server log is kept there as N-VARIANT.log (its timed lines split the start). The server writes to DATA (a clean stop, its log windows, a few hold-expiry frames per
# start): restart a copy of a RestartBenchmark directory, not the one the benchmark keeps.
# Usage: [JAR=tools/target/formica.jar] [CONFIG=settings.yaml] [PORT=21400] [CDS_ARCHIVE=FILE] [SERVE_JAVA_OPTS=...] \
#        loadtest/scripts/serve-restart.sh DATA VARIANT...        e.g. DATA pretouch plain pretouch plain
# CONFIG for a RestartBenchmark directory (1 M borrowers, 10 min): shards: 2, durability: process,
# snapshotInterval: 24h (no snapshot during the run), expectedBorrowers: 1200000, expectedDecisionsPerDay: 3600000.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="$1"; shift
JAR="${JAR:-$ROOT/tools/target/formica.jar}"
OPTS="$ROOT/tools/target/jvm.options"
PORT="${PORT:-21400}"
[ -f "$JAR" ] && [ -f "$OPTS" ] || { echo "build the jar first: mvn -q -pl tools -am package -DskipTests" >&2; exit 1; }
CDS_ARCHIVE="${CDS_ARCHIVE:-${JAR%.jar}-serve.jsa}"
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

# serve FLAGS...: starts the server with FLAGS and waits for "formica listening"; sets pid (exits when it died).
serve() {
  # shellcheck disable=SC2086 # SERVE_JAVA_OPTS is a list of options
  java @"$OPTS" "$@" ${SERVE_JAVA_OPTS:-} -jar "$JAR" serve --port "$PORT" --data-dir "$DATA" \
      ${CONFIG:+--config "$CONFIG"} > "$LOG" 2>&1 &
  pid=$!
  until grep -q "formica listening" "$LOG" || ! kill -0 $pid 2>/dev/null; do sleep 0.1; done
  if ! kill -0 $pid 2>/dev/null; then cat "$LOG" >&2; exit 1; fi
}

for variant in "$@"; do
  flags=(-Xms2g -Xmx2g)
  case "$variant" in
    pretouch) flags+=(-XX:+AlwaysPreTouch) ;;
    plain) ;;
    cds)
      if [ ! -f "$CDS_ARCHIVE" ]; then
        echo "cds      training start (not timed): writes $CDS_ARCHIVE at its exit"
        serve "${flags[@]}" -XX:ArchiveClassesAtExit="$CDS_ARCHIVE" -Xlog:cds=error
        kill -TERM $pid; wait $pid || true
        [ -f "$CDS_ARCHIVE" ] || { echo "no archive written" >&2; cat "$LOG" >&2; exit 1; }
      fi
      flags+=(-XX:SharedArchiveFile="$CDS_ARCHIVE") ;;
    *) echo "unknown variant $variant (pretouch, plain or cds)" >&2; exit 1 ;;
  esac
  start=$(date +%s%N)
  serve "${flags[@]}"
  end=$(date +%s%N)
  read -r minflt utime stime <<<"$(awk '{print $10, $14, $15}' /proc/$pid/stat)"
  replayed=$(grep -o 'replayed [0-9]* log frames of [0-9]* shards in [0-9]* ms' "$LOG" || true)
  awk -v v="$variant" -v ms=$(( (end - start) / 1000000 )) -v u="$utime" -v s="$stime" -v f="$minflt" -v r="$replayed" \
      'BEGIN { printf "%-8s listening after %.1f s (user %.1f s, system %.1f s, %d minor faults); %s\n",
               v, ms / 1000, u / 100, s / 100, f, r }'
  kill -TERM $pid
  wait $pid || true
  n=$(( ${n:-0} + 1 ))
  if [ -n "${LOG_DIR:-}" ]; then cp "$LOG" "$LOG_DIR/$n-$variant.log"; fi
done
