#!/usr/bin/env bash
# Builds the base image that Jib puts Formica on (tools/pom.xml, profile `image`), as a `docker save` tarball:
#
#   scripts/image-base.sh OUT.tar
#
# No container registry is reachable from the build machines, so the base is made the way distroless images are:
# Debian 12's own packages (`apt-get download`, no root needed), unpacked with `dpkg-deb -x` into one layer, no
# shell and no package manager, plus a `nonroot` user (65532) and an empty /data owned by it. The runtime is
# Debian's openjdk-17-jre-headless, whose module image holds jdk.compiler, which Chronicle Map needs at run time.
# Where a registry is reachable, `-Dformica.image.base=eclipse-temurin:17-jdk` (any JDK 17 image) replaces it.
#
# The .debs and the finished tarball are cached in $FORMICA_CACHE (default ~/.cache/formica), keyed on the package
# versions and this script, so a second build costs a copy. Exits non-zero with a message when the packages cannot
# be had (no apt-get / dpkg-deb, or no access to Debian's archive).
set -euo pipefail

OUT="${1:?usage: image-base.sh OUT.tar}"
mkdir -p "$(dirname "$OUT")"
PACKAGES=(base-files netbase tzdata libc6 libgcc-s1 libstdc++6 zlib1g openjdk-17-jre-headless)
JAVA_HOME_IN_IMAGE=/usr/lib/jvm/java-17-openjdk-amd64
CACHE="${FORMICA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/formica}/image-base"

fail() { echo "image-base: $*" >&2; exit 1; }
for tool in apt-get apt-cache dpkg-deb tar sha256sum; do
  command -v "$tool" >/dev/null || fail "$tool is needed (a Debian or Ubuntu machine); or build with -P-image"
done
[ "$(dpkg --print-architecture)" = amd64 ] || fail "the base is built for amd64 only"
mkdir -p "$CACHE/debs"

versions="$(apt-cache policy "${PACKAGES[@]}" | awk '/^[^ ]/{p=$1; sub(/:$/, "", p)} /Candidate:/{print p, $2}')"
if [[ "$versions" == *"(none)"* ]] || [ "$(echo "$versions" | wc -l)" -ne "${#PACKAGES[@]}" ]; then
  fail "apt has no candidate for some of ${PACKAGES[*]} (run apt-get update):"$'\n'"$versions"
fi
key="$( (echo "$versions"; cat "$0") | sha256sum | cut -c1-16)"
if [ -s "$CACHE/base-$key.tar" ]; then
  cp "$CACHE/base-$key.tar" "$OUT"
  echo "image-base: $OUT from the cache ($CACHE/base-$key.tar)"
  exit 0
fi

WORK="$(mktemp -d "$CACHE/build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
(cd "$CACHE/debs" && apt-get -q -o "APT::Sandbox::User=$(id -un)" download "${PACKAGES[@]}" >&2) \
  || fail "apt-get download ${PACKAGES[*]} failed: no access to Debian's package archive?"

root="$WORK/root"
mkdir -p "$root"
while read -r name version; do
  deb="$(ls "$CACHE/debs/${name}_${version/:/%3a}_"*.deb 2>/dev/null | head -n 1)"
  [ -n "$deb" ] || fail "no .deb for $name $version in $CACHE/debs"
  dpkg-deb -x "$deb" "$root"
done <<< "$versions"

# what a server needs and nothing else: no docs, man pages or locales; the JDK's trust store is a link that
# ca-certificates-java would fill (the server needs none: its TLS files are its own)
rm -rf "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/info "$root"/usr/share/lintian \
  "$root"/usr/share/locale
mkdir -p "$root/usr/bin" "$root/etc" "$root/tmp" "$root/data" "$root/home/nonroot" "$root/app"
ln -sf "$JAVA_HOME_IN_IMAGE/bin/java" "$root/usr/bin/java"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
  > "$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"
chmod 700 "$root/data" "$root/home/nonroot"

# one reproducible layer: fixed owner and time, sorted; /data and the home directory belong to nonroot
layer="$WORK/layer.tar"
TAR=(tar --sort=name --mtime=@0 --numeric-owner --format=gnu)
(cd "$root" && "${TAR[@]}" --owner=0 --group=0 --exclude=./data --exclude=./home/nonroot -cf "$layer" .)
(cd "$root" && "${TAR[@]}" --owner=65532 --group=65532 -rf "$layer" ./data ./home/nonroot)
diff_id="sha256:$(sha256sum "$layer" | cut -d' ' -f1)"
created="1970-01-01T00:00:00Z"
cat > "$WORK/config.json" <<EOF
{"architecture":"amd64","os":"linux","created":"$created",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=$JAVA_HOME_IN_IMAGE",
   "LANG=C.UTF-8"],"User":"65532:65532","WorkingDir":"/home/nonroot"},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]},
 "history":[{"created":"$created","created_by":"scripts/image-base.sh: $(echo "$versions" | tr '\n' ' ')"}]}
EOF
echo '[{"Config":"config.json","RepoTags":["formica-base:'"$key"'"],"Layers":["layer.tar"]}]' \
  > "$WORK/manifest.json"
(cd "$WORK" && tar --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "base.tar" manifest.json config.json layer.tar)
mv "$WORK/base.tar" "$CACHE/base-$key.tar"
find "$CACHE" -maxdepth 1 -name 'base-*.tar' ! -name "base-$key.tar" -delete
cp "$CACHE/base-$key.tar" "$OUT"
echo "image-base: $OUT ($(du -h "$OUT" | cut -f1)): $(echo "$versions" | tr '\n' ' ')"
