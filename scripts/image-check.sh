#!/usr/bin/env bash
# Checks the image that Jib wrote (tools/pom.xml, profile `image`, phase verify):
#
#   scripts/image-check.sh tools/target/formica-image.tar
#
# 1. Its configuration: a non-root user, the entrypoint `java @/app/jvm.options ... dev.formica.engine.Formica`, the
#    gRPC and metrics ports, /data as a volume, and /app/jvm.options holding the pom's JVM flags.
# 2. As root, with unshare and chroot (util-linux, coreutils): it unpacks the layers and runs the image's own
#    entrypoint as its own user, in a private mount and PID namespace, with a read-only root, /tmp and /data
#    writable (as deploy/kubernetes/statefulset.yaml has it), on loopback, with a short warm-up, until the server
#    says it is serving; reads /metrics; stops it with SIGTERM and expects "formica stopped" and a clean exit.
#    Elsewhere that step is skipped with a message. Bounded: 180 s for the start, 60 s for the stop.
set -euo pipefail

IMAGE="${1:?usage: image-check.sh IMAGE.tar}"
fail() { echo "image-check: FAILED: $*" >&2; exit 1; }
command -v python3 >/dev/null || { echo "image-check: skipped (python3 is needed to read the image's JSON)"; exit 0; }
[ -s "$IMAGE" ] || fail "$IMAGE is missing"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -9 "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
tar -xf "$IMAGE" -C "$WORK" manifest.json
config="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Config"])' "$WORK/manifest.json")"
tar -xf "$IMAGE" -C "$WORK" "$config"

python3 - "$WORK/$config" <<'EOF' || fail "the image's configuration (above)"
import json, sys
c = json.load(open(sys.argv[1]))["config"]
problems = []
user = c.get("User", "")
if user.split(":")[0] in ("", "0", "root"):
    problems.append("runs as root (User=%r)" % user)
ep = c.get("Entrypoint") or []
if ep[:2] != ["java", "@/app/jvm.options"] or ep[-1] != "dev.formica.engine.Formica":
    problems.append("entrypoint %r" % ep)
for port in ("50051/tcp", "9464/tcp"):
    if port not in (c.get("ExposedPorts") or {}):
        problems.append("port %s not exposed" % port)
if "/data" not in (c.get("Volumes") or {}):
    problems.append("/data is not a volume")
for p in problems:
    print("image-check: " + p, file=sys.stderr)
print("image-check: user %s, entrypoint %s, args %s" % (user, " ".join(ep), " ".join(c.get("Cmd") or [])))
sys.exit(1 if problems else 0)
EOF

# the layers, in order, into one root file system
mkdir -p "$WORK/root"
for layer in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))[0]["Layers"]))' \
    "$WORK/manifest.json"); do
  tar -xOf "$IMAGE" "$layer" | tar -xz -C "$WORK/root" 2>/dev/null \
    || tar -xOf "$IMAGE" "$layer" | tar -x -C "$WORK/root"
done
expected="$(cat "$(dirname "$IMAGE")/jvm.options")"
[ "$(cat "$WORK/root/app/jvm.options")" = "$expected" ] || fail "/app/jvm.options differs from the pom's flags"
grep -q -- "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED" "$WORK/root/app/jvm.options" \
  || fail "/app/jvm.options lacks Agrona's flag"
echo "image-check: configuration and /app/jvm.options as the pom says"

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v chroot >/dev/null; then
  echo "image-check: run skipped (needs root, unshare and chroot; CI runs as root)"
  exit 0
fi

# the image's own entrypoint, user and environment; loopback, any free ports, a small heap for the check
mapfile -t cmd < <(python3 - "$WORK/$config" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))["config"]
for a in c["Entrypoint"] + ["serve", "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0",
                            "--data-dir", "/data", "--shards", "2", "--warmup-decisions", "2000"]:
    print(a)
EOF
)
mapfile -t env < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["config"]
for e in c.get("Env", []):
    if not e.startswith("JDK_JAVA_OPTIONS="):
        print(e)
print("JDK_JAVA_OPTIONS=-Xms512m -Xmx512m -XX:MaxDirectMemorySize=1g")' "$WORK/$config")
user="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["User"])' "$WORK/$config")"
mkdir -p "$WORK/root/proc" "$WORK/root/dev"
log="$WORK/server.log"
# the image has no shell and no env: the environment is set outside, then chroot runs java itself (from /)
# as deploy/kubernetes/statefulset.yaml runs it: the root a read-only mount of its own, /tmp and /dev/shm
# writable tmpfs, /data a volume owned by the image's user (here a fresh directory, bound)
mkdir -p "$WORK/data"
chown "$user" "$WORK/data"
chmod 700 "$WORK/data"
unshare --mount --pid --fork \
  sh -c 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && mount -t proc proc "$0/proc" \
    && mount --rbind /dev "$0/dev" && mount -t tmpfs -o size=64m tmpfs "$0/dev/shm" \
    && mount -t tmpfs -o size=2g,mode=1777 tmpfs "$0/tmp" && mount --bind "$1" "$0/data" && shift && exec "$@"' \
  "$WORK/root" "$WORK/data" \
  env -i "${env[@]}" chroot --userspec="$user" "$WORK/root" "${cmd[@]}" > "$log" 2>&1 &
SERVER_PID=$!
echo "image-check: running the image as $user: ${cmd[*]}"
deadline=$((SECONDS + 180))
until grep -q "formica serving on" "$log"; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    cat "$log" >&2; fail "the image did not start"
  fi
  sleep 0.5
done
metrics_port="$(sed -n 's/.*metrics on :\([0-9]*\).*/\1/p' "$log" | head -n 1)"
grep -o "formica serving on [^,]*" "$log"
if command -v curl >/dev/null && [ -n "$metrics_port" ]; then
  # to a file first: `curl | grep -q` under pipefail fails whenever grep exits on its first match before curl
  # has written the whole page (curl: (23) Failed writing body)
  curl -fsS --max-time 10 -o "$WORK/metrics.txt" "http://127.0.0.1:$metrics_port/metrics" \
    || fail "/metrics on :$metrics_port did not answer"
  grep -q "^formica_" "$WORK/metrics.txt" || fail "no formica_ series on :$metrics_port/metrics"
  echo "image-check: /metrics answers on :$metrics_port"
fi
# SIGTERM to the JVM (PID 1 of the namespace: unshare's child sh, which exec'd env, chroot and java)
kill -TERM "$(pgrep -P "$SERVER_PID" | head -n 1)" 2>/dev/null || kill -TERM "$SERVER_PID"
for _ in $(seq 1 120); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
kill -0 "$SERVER_PID" 2>/dev/null && { cat "$log" >&2; fail "the image did not stop on SIGTERM"; }
wait "$SERVER_PID" && rc=0 || rc=$?
grep -q "formica stopped" "$log" || { cat "$log" >&2; fail "no 'formica stopped' in the log"; }
# 143 = 128 + SIGTERM: the JVM's exit status after its shutdown hooks ran on SIGTERM
[ "$rc" = 0 ] || [ "$rc" = 143 ] || { cat "$log" >&2; fail "exit code $rc after SIGTERM"; }
SERVER_PID=""
echo "image-check: the image served as $user and stopped cleanly on SIGTERM (exit $rc)"
