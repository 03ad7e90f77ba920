#!/usr/bin/env bash
# Decide p99 at one fixed rate on 3 replicated nodes (clusterReplication: ratis) against 1 node without
# replication, with Echo on the 1 node at the same rate as the yardstick of the box; then the failover time on the 3
# nodes under load: kill -9 of a group's leader to the first Decide of that group answered again.
# All servers are `formica serve` processes on 127.0.0.1 (ports 50680-50689; PORT_BASE=B moves them to B..B+9),
# driven through the Java SDK by ClusterDecideMeasurement (module cluster, test sources; latency from each call's
# intended send time, so a stall shows; the servers' CPU time over each measured window, per call; for the replicated
# Decide also the Ratis entries the groups committed in the window, CPU per entry, and the nodes' CPU by thread name
# with the JIT's share and their context switches; then the warm nodes idle for 30 s, by thread group, before the
# failover). The report goes to OUT_DIR/cluster-decide.txt.
# Usage: [PORT_BASE=B] [SINGLE=false] loadtest/scripts/cluster-decide.sh [OUT_DIR] [RATE] [DURATION_S] [WARMUP_S]
#        (defaults: 200 30 30; SINGLE=false skips the one-node Echo and Decide runs, for A/B runs of replication;
#        MEASURE_OPTS: more -D options, e.g. -Dformica.measure.startMinutes=10 on a loaded box, -Draft.NAME=VALUE for
#        the replicated nodes (a Ratis setting), -Dformica.measure.nodeFlags=-XX:FLAG,-XX:FLAG (JVM flags of the
#        nodes; a -XX:+Use*GC replaces G1), -Dformica.measure.idleAfter=S (the idle window after the load, default
#        30 s, 0: none), -Dformica.measure.profile=$PWD/loadtest/scripts/profile-nodes.sh (with PROF_PHASES=decide
#        or idle-warm: one phase per run); compare Ratis settings after a 120 s warm-up: at 30 s the JIT is still a
#        third of the nodes' CPU)
# Builds the modules it needs (mvn -o, test-compile of cluster and its dependencies; never install).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/cluster-decide}"
RATE="${2:-200}"
DURATION="${3:-30}"
WARMUP="${4:-30}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$ROOT"
. loadtest/scripts/lib.sh
MEASURE_OPTS="${MEASURE_OPTS:-} -Dformica.measure.single=${SINGLE:-true}" \
  cluster_measurement ClusterDecideMeasurement cluster-decide "$OUT" "$RATE" "$DURATION" "$WARMUP" "${PORT_BASE:-50680}"
