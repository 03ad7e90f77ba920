# Shared by the measurement scripts in this directory (sourced, not run). Call from the repository root.

# private_copy OUT: copies the jar to measure (JAR, or tools/target/formica.jar built if stale) and the
# JVM options into OUT, so that a rebuild during the run cannot swap the jar under a running JVM.
private_copy() {
  if [ -z "${JAR:-}" ] || [ ! -f tools/target/jvm.options ]; then
    ./formica version >/dev/null   # builds the jar (and the JVM options file) if stale
  fi
  cp "${JAR:-tools/target/formica.jar}" "$1/formica.jar"
  cp tools/target/jvm.options "$1/"
}

# loadtool_copy OUT: sets LOADTOOL to the jar whose `loadtest` drives the load: OUT/formica.jar (the server's, copied
# by private_copy) or, when LOADTEST_JAR is set, a private copy of that one. Comparing two load tools against the same
# server jar (JAR) keeps the server out of the comparison. Sets LOADTOOL_OPTS, the load tool's own JVM options after
# jvm.options: LOADTEST_JAVA_OPTS, by default a fixed, pre-touched 512 MB heap. Without it the load tool's heap grows
# page by page under load, and its first touches were 16 us of its CPU per call at 2,000/s (profile-loadtest.sh),
# taken from the server on the same cores. LOADTEST_JAVA_OPTS= (empty) runs it as before.
loadtool_copy() {
  LOADTOOL="$1/formica.jar"
  if [ -n "${LOADTEST_JAR:-}" ]; then
    cp "$LOADTEST_JAR" "$1/loadtool.jar"
    LOADTOOL="$1/loadtool.jar"
  fi
  LOADTOOL_OPTS="${LOADTEST_JAVA_OPTS--Xms512m -Xmx512m -XX:+AlwaysPreTouch}"
}

# await_serving LOG PID: waits until the server logs "serving on", up to 5 minutes (--warmup-decisions runs
# before the port opens), and stops waiting as soon as the server process has died.
await_serving() {
  for _ in $(seq 1 300); do
    grep -q "serving on" "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}

# start_server OUT DATA PORT METRICS_PORT [serve options...]: starts the copied jar as a server in the
# background with a fixed, pre-touched 2 GiB heap (./formica serve with FORMICA_SERVER_PRETOUCH=1: the measured
# window then sees no first touches of heap pages; the launcher's default skips the 18 s pre-touch), logging to
# OUT/server.log;
# sets SERVER to its pid and waits until it serves (or has died). SERVER_JAVA_OPTS come after those options, so they
# can replace them: another collector (-XX:-UseG1GC -XX:+UseZGC: jvm.options selects G1), another heap, a GC log
# (-Xlog:gc,safepoint:file=OUT/gc.log), and so measure JVM settings with the same jar.
start_server() {
  local out="$1" data="$2" port="$3" metrics_port="$4"
  shift 4
  java @"$out/jvm.options" -Xms2g -Xmx2g -XX:+AlwaysPreTouch ${SERVER_JAVA_OPTS:-} -jar "$out/formica.jar" serve \
      --port "$port" --metrics-port "$metrics_port" --data-dir "$data" "$@" > "$out/server.log" 2>&1 &
  SERVER=$!
  await_serving "$out/server.log" $SERVER || true
}

# fresh_server OUT PORT METRICS_PORT [serve options...]: a private copy of the jar (private_copy) and a new data
# directory DATA=OUT/data, the server started on them (start_server), and killed if the script exits early.
fresh_server() {
  local out="$1"
  shift
  private_copy "$out"
  DATA="$out/data"; rm -rf "$DATA"
  trap 'kill ${SERVER:-} 2>/dev/null || true' EXIT
  start_server "$out" "$DATA" "$@"
}

# stop_server: stops the server fresh_server started and deletes its data directory.
stop_server() {
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  trap - EXIT
  rm -rf "$DATA"
}

# decide_load OUT PORT METRICS_PORT RATE DURATION WARMUP: Decide alone at a fixed rate over the 100,000 sample
# borrowers, the server's CPU read from its /metrics; the report goes to OUT/loadtest.txt and OUT/report. The load
# tool is the server's jar or LOADTEST_JAR's, with LOADTOOL_OPTS (lib.sh loadtool_copy); LOADTEST_ARGS are added to
# its options (e.g. --sender threads).
decide_load() {
  loadtool_copy "$1"
  java @"$1/jvm.options" $LOADTOOL_OPTS -jar "$LOADTOOL" loadtest --target 127.0.0.1:"$2" \
      --server-metrics-port "$3" --borrowers 100000 --load-profiles --target-rpc decide --rate "$4" \
      --duration "$5" --warmup "$6" --report-dir "$1/report" ${LOADTEST_ARGS:-} > "$1/loadtest.txt" 2>&1
}

# decide_summary OUT: the lines of OUT/loadtest.txt that the fixed-rate comparisons read.
decide_summary() {
  grep -E "throughput/s|error share|^  error |corrected p(50|99|99.9) ms|CPU us/req" "$1/loadtest.txt"
}

# cluster_measurement CLASS NAME OUT RATE DURATION_S WARMUP_S PORT_BASE: runs the measurement CLASS of module
# cluster (test sources, enabled by its properties; mvn -o test-compile of cluster and its dependencies, never
# install), its report in OUT/NAME.txt with the load average at the end, and prints the report. MEASURE_OPTS: more
# -D options for the measurement (e.g. -Dformica.measure.single=false).
cluster_measurement() {
  local class="$1" name="$2" out="$3" rate="$4" duration="$5" warmup="$6" base="$7"
  mvn -B -o -q -pl cluster -am test -Dtest="$class" -Dsurefire.failIfNoSpecifiedTests=false \
      -Dformica.measure.rate="$rate" -Dformica.measure.seconds="$duration" -Dformica.measure.warmup="$warmup" \
      -Dformica.measure.out="$out/$name.txt" -Dformica.ports.base="$base" ${MEASURE_OPTS:-} > "$out/mvn.log" 2>&1 \
      || { tail -50 "$out/mvn.log"; exit 1; }
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/$name.txt"
  cat "$out/$name.txt"
}

# async_profiler OUT: sets AGENT to async-profiler's agent (Maven artifact tools.profiler:async-profiler, linux-x64,
# fetched into ~/.m2 on first use), unpacked afresh under OUT/ap. profile-server.sh and profile-loadtest.sh attach it.
AP_VERSION=4.2
async_profiler() {
  local jar="$HOME/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION-linux-x64.jar"
  [ -f "$jar" ] || mvn -q -B dependency:get -Dartifact="tools.profiler:async-profiler:$AP_VERSION:jar:linux-x64" \
      >/dev/null
  rm -rf "$1/ap" && mkdir -p "$1/ap" && (cd "$1/ap" && unzip -q "$jar" 'linux-x64/*')
  AGENT="$1/ap/linux-x64/libasyncProfiler.so"
}

# thread_cpu PID FILE: every thread of PID with its CPU so far (user + system, clock ticks of /proc/PID/task/*/stat),
# one "tid group ticks" line each; the group is the thread's name with spaces as _ and the numbers after - or # as N
# (the kernel keeps 15 characters: "C2_CompilerThre", "ZWorker#N", "formica-shard-N").
thread_cpu() {
  awk '{
    op = index($0, "("); cl = 0
    for (k = length($0); k > op; k--) if (substr($0, k, 1) == ")") { cl = k; break }
    name = substr($0, op + 1, cl - op - 1); gsub(/ /, "_", name)
    while (match(name, /[-#][0-9]+/)) name = substr(name, 1, RSTART) "N" substr(name, RSTART + RLENGTH)
    split(substr($0, cl + 2), f, " ")   # f[1] is field 3 (state): utime is field 14, stime 15
    print substr($0, 1, op - 2), name, f[12] + f[13]
  }' /proc/"$1"/task/*/stat 2>/dev/null > "$2" || true
}

# thread_cpu_diff BEFORE AFTER REQUESTS [ROWS]: microseconds of CPU per request by thread group between two thread_cpu
# files, the ROWS (default 12) largest, then the JVM's own threads summed: "GC" (ZGC, G1, Parallel and Shenandoah
# threads), "JIT" (the compiler threads and the code sweeper) and the VM thread (safepoint operations: the
# collectors' pauses). A thread that ended between the two files is left out.
thread_cpu_diff() {
  awk -v n="$3" -v rows="${4:-12}" -v hz="$(getconf CLK_TCK)" '
    FNR == NR { before[$1] = $3; next }
    { d = $3 - before[$1]; group[$2] += d
      if ($2 ~ /^(Z(Director|Driver|Stat|Uncommitter|Unmapper|Worker)|RuntimeWorker|G1_|GC_Thread|Shenandoah)/) gc += d
      else if ($2 ~ /^(C[12]_CompilerThre|Sweeper_thread)/) jit += d
      else if ($2 == "VM_Thread") vm += d }
    END {
      for (r = 0; r < rows; r++) {   # the largest groups first (a few dozen: selection is enough)
        best = ""; for (g in group) if (best == "" || group[g] > group[best]) best = g
        if (best == "" || group[best] <= 0) break
        printf "  %-24s %8.1f us/req\n", best, group[best] * 1e6 / hz / n; delete group[best]
      }
      printf "  GC threads %.1f, JIT threads %.1f, VM thread %.1f us/req\n", gc * 1e6 / hz / n, jit * 1e6 / hz / n,
          vm * 1e6 / hz / n
    }' "$1" "$2"
}
