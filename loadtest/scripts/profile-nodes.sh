#!/usr/bin/env bash
# Where the replicated nodes' CPU goes: the hook ClusterDecideMeasurement runs at the start and the end of a measured
# window when given -Dformica.measure.profile=loadtest/scripts/profile-nodes.sh (absolute path), as
#   profile-nodes.sh PHASE start|stop PID...     (PHASE: idle, decide)
# At start it reads every thread's CPU time of the nodes (/proc/PID/task/*/stat) and attaches async-profiler (Maven
# artifact tools.profiler:async-profiler, as profile-server.sh fetches it) to each node, CPU samples every 1 ms of CPU
# time per thread; at stop it writes PROF_OUT/PHASE-PID.collapsed (folded stacks, thread names first) and the thread
# times again, then prints CPU ms per thread group over the window, summed over the nodes.
# It also prints the frames that used the most CPU themselves (the last frame of each sample), over the three nodes.
# PROF_PHASES (default: every phase) names the phases profiled, e.g. PROF_PHASES=decide or PROF_PHASES=idle-warm
# (phases: idle, decide, idle-warm): a node attached a second time in one run gave the first window's samples again
# (session 10), so profile one phase per run.
# Usage: PROF_OUT=/tmp/prof PROF_PHASES=decide SINGLE=false \
#          MEASURE_OPTS="-Dformica.measure.profile=$PWD/loadtest/scripts/profile-nodes.sh" \
#          loadtest/scripts/cluster-decide.sh OUT 200 30 120
set -euo pipefail
PHASE="$1"; WHAT="$2"; shift 2
case " ${PROF_PHASES:-$PHASE} " in
  *" $PHASE "*) ;;
  *) exit 0 ;;
esac
OUT="${PROF_OUT:-/tmp/formica-profile-nodes}"
mkdir -p "$OUT"
AP_VERSION=4.2
AP_JAR="$HOME/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION-linux-x64.jar"
AGENT="$OUT/ap/linux-x64/libasyncProfiler.so"
# pid thread-name cpu-ticks (utime + stime, the fields after the parenthesised name), one awk per node: a loop that
# forked three processes per thread took more than 30 s for three nodes' 200 threads on the loaded box, longer than
# the measurement waits for this hook, so the profiler started after the window had ended
# (through cat: mawk stops at the first file it cannot open, a thread that ended after the glob)
threads() {
  for p in "$@"; do
    cat /proc/"$p"/task/*/stat 2>/dev/null |
      awk -v p="$p" '{ l = index($0, "("); r = length($0); while (r > l && substr($0, r, 1) != ")") r--
                       name = substr($0, l + 1, r - l - 1); gsub(/ /, "_", name)
                       split(substr($0, r + 2), f, " "); print p, name, f[12] + f[13] }'
  done
}
if [ "$WHAT" = start ]; then
  if [ ! -f "$AGENT" ]; then
    [ -f "$AP_JAR" ] || mvn -q -B dependency:get -Dartifact="tools.profiler:async-profiler:$AP_VERSION:jar:linux-x64" \
        > /dev/null
    mkdir -p "$OUT/ap" && (cd "$OUT/ap" && unzip -q -o "$AP_JAR" 'linux-x64/*')
  fi
  threads "$@" > "$OUT/$PHASE.threads.0"
  for p in "$@"; do jcmd "$p" JVMTI.agent_load "$AGENT" "\"start,event=cpu,interval=1ms,threads\"" > /dev/null & done
  wait
else
  for p in "$@"; do
    jcmd "$p" JVMTI.agent_load "$AGENT" "\"stop,file=$OUT/$PHASE-$p.collapsed,collapsed\"" > /dev/null &
  done
  wait
  threads "$@" > "$OUT/$PHASE.threads.1"
  # CPU ms per thread group (digits folded), summed over the nodes; threads that ended in the window are not counted
  awk 'NR == FNR { a[$1 " " $2] += $3; next } { b[$1 " " $2] += $3 }
       END { for (k in b) { split(k, f, " "); g = f[2]; gsub(/[0-9]+/, "#", g); d[g] += (b[k] - a[k]) * 10 }
             for (g in d) if (d[g] > 0) printf "%8d ms  %s\n", d[g], g }' \
      "$OUT/$PHASE.threads.0" "$OUT/$PHASE.threads.1" | sort -rn | head -25 | tee "$OUT/$PHASE.threads.txt"
  # samples by the frame that ran (the stack's last frame), summed over the nodes
  for p in "$@"; do cat "$OUT/$PHASE-$p.collapsed" 2>/dev/null || true; done |
    awk '{ n = $NF; $NF = ""; k = split($0, f, ";"); self[f[k]] += n; all += n }
         END { for (s in self) printf "%7d  %5.1f %%  %s\n", self[s], 100 * self[s] / all, s }' |
    sort -rn | head -30 | tee "$OUT/$PHASE.frames.txt"
fi
