#!/usr/bin/env bash
# What a second node adds (issue 22: throughput of 2 nodes vs 1, each node its own partitions, client routing):
# Decide at RATE/s against 1 node, then at 2 x RATE/s against 2 nodes that each own their range of partitions
# (no replication; the Java SDK routes each borrower to its owner by the partition map), Echo at RATE on the one
# node as the yardstick, then each node's CPU per Decide it answered and the capacity of two machines against one
# that follows from it (on this 2-core box the nodes and the load share the cores, so the ratio is read from CPU).
# All servers are `formica serve` processes on 127.0.0.1 (ports 50690-50691; PORT_BASE=B moves them), driven by
# ClusterScaleMeasurement (module cluster, test sources). The report goes to OUT_DIR/cluster-scale.txt.
# Usage: loadtest/scripts/cluster-scale.sh [OUT_DIR] [RATE] [DURATION_S] [WARMUP_S]   (defaults: 1000 30 30)
# Builds the modules it needs (mvn -o, test-compile of cluster and its dependencies; never install).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/cluster-scale}"
RATE="${2:-1000}"
DURATION="${3:-30}"
WARMUP="${4:-30}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$ROOT"
. loadtest/scripts/lib.sh
cluster_measurement ClusterScaleMeasurement cluster-scale "$OUT" "$RATE" "$DURATION" "$WARMUP" "${PORT_BASE:-50690}"
