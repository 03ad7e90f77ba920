# Shared by the measurement scripts in this directory (sourced, not run). Call from the repository root.

# private_copy OUT: copies the jar to measure (JAR, or engine/target/formica.jar built if stale) and the
# JVM options into OUT, so that a rebuild during the run cannot swap the jar under a running JVM.
private_copy() {
  if [ -z "${JAR:-}" ] || [ ! -f engine/target/jvm.options ]; then
    ./formica version >/dev/null   # builds the jar (and the JVM options file) if stale
  fi
  cp "${JAR:-engine/target/formica.jar}" "$1/formica.jar"
  cp engine/target/jvm.options "$1/"
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
