#!/usr/bin/env bash
# restart-copy.sh SRC DST: a copy of a RestartBenchmark data directory (`-p dataDir=SRC`) for one `formica serve`
# start (serve-restart.sh DST ...), in a second instead of a minute for 6.4 GB: what a start only reads (the
# snapshots, every log segment but each shard's last) is hard-linked, the rest is copied (the top-level files, the
# rules, each shard's last segment, which the start appends to). A start writes snapshots only to new files
# (temporary file, rename) and deletes old ones by name, which removes the link, never SRC's file. DST is replaced.
set -euo pipefail
src=$1; dst=$2
[ -d "$src/shard-0/log" ] || { echo "$src is not a data directory" >&2; exit 1; }
rm -rf "$dst"
cp -al "$src" "$dst"
for f in "$src"/*; do
  if [ -f "$f" ]; then cp --remove-destination "$f" "$dst/"; fi
done
if [ -d "$src/rules" ]; then rm -rf "$dst/rules"; cp -r "$src/rules" "$dst/rules"; fi
for s in "$src"/shard-*; do
  last=$(find "$s/log" -maxdepth 1 -name '*.log' | sort | tail -1)
  cp --remove-destination "$last" "$dst/$(basename "$s")/log/"
done
