#!/usr/bin/env bash
# Prints the path of the German Credit data set (credit-g.arff, 1,000 loan applicants labelled good/bad),
# which Debian's `weka` package ships as /usr/share/doc/weka/examples/credit-g.arff. Used by the scorecard
# fitting test and docs/scorecard-fitting.md. The data is never committed to this repository.
#
#   1. the installed file, if the weka package is installed (plain or .gz);
#   2. else a copy cached by an earlier run in $FORMICA_CACHE (default ~/.cache/formica);
#   3. else `apt-get download weka` (no root needed) into a scratch dir under the cache, `dpkg-deb -x`, copy
#      the arff into the cache and delete the rest. If apt has no package lists (a fresh machine), it reads
#      Debian's lists into the scratch dir first (`apt-get update` with private list and cache dirs, still no
#      root). FORMICA_FETCH_PRIVATE_LISTS=1 takes that path at once.
#
# Exits non-zero with a message on stderr when the data cannot be had; prints only the path on stdout.
set -euo pipefail

SYSTEM_DIR=/usr/share/doc/weka/examples
CACHE="${FORMICA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/formica}"
OUT="$CACHE/credit-g.arff"

fail() { echo "fetch-credit-g: $*" >&2; exit 1; }

if [ -s "$SYSTEM_DIR/credit-g.arff" ]; then
  echo "$SYSTEM_DIR/credit-g.arff"; exit 0
fi
mkdir -p "$CACHE" || fail "cannot create the cache dir $CACHE (set FORMICA_CACHE)"
if [ -s "$SYSTEM_DIR/credit-g.arff.gz" ]; then
  gunzip -c "$SYSTEM_DIR/credit-g.arff.gz" > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
  echo "$OUT"; exit 0
fi
if [ -s "$OUT" ]; then
  echo "$OUT"; exit 0
fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
  || fail "apt-get and dpkg-deb are needed to fetch Debian's weka package (or install it: apt-get install weka)"

WORK="$(mktemp -d "$CACHE/weka-download.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
APT_USER=(-o "APT::Sandbox::User=$(id -un)")

downloaded=false
if [ "${FORMICA_FETCH_PRIVATE_LISTS:-0}" != 1 ] && apt-get -q "${APT_USER[@]}" download weka >&2; then
  downloaded=true
fi
if ! $downloaded; then
  echo "fetch-credit-g: reading Debian's package lists into $WORK (no root needed)" >&2
  mkdir -p lists/partial cache/archives/partial
  PRIVATE=(-o "Dir::State::Lists=$WORK/lists" -o "Dir::Cache=$WORK/cache" "${APT_USER[@]}")
  apt-get -q "${PRIVATE[@]}" update >&2 \
    || fail "apt-get update into a private list dir failed: no access to Debian's package archive?"
  apt-get -q "${PRIVATE[@]}" download weka >&2 \
    || fail "apt-get download weka failed: is a Debian archive with the weka package in /etc/apt/sources.list?"
fi

deb="$(ls weka_*.deb 2>/dev/null | head -n 1)"
[ -n "$deb" ] || fail "apt-get download weka produced no .deb"
dpkg-deb -x "$deb" unpacked || fail "dpkg-deb -x $deb failed"
src="$(find unpacked -name 'credit-g.arff' -o -name 'credit-g.arff.gz' | head -n 1)"
[ -n "$src" ] || fail "$deb holds no credit-g.arff"
case "$src" in
  *.gz) gunzip -c "$src" > "$OUT.tmp" ;;
  *) cp "$src" "$OUT.tmp" ;;
esac
mv "$OUT.tmp" "$OUT"
echo "$OUT"
