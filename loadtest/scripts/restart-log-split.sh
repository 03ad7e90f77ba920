#!/usr/bin/env bash
# restart-log-split.sh LOG SECONDS: one `formica serve` start split by its server log's timed lines (a log that
# serve-restart.sh kept with LOG_DIR; SECONDS = its "listening after" figure, which places the JVM's start):
# JVM start -> health port (NOT_SERVING) -> "Chronicle core loaded" -> "replayed ..." (the stores opened, the
# snapshots loaded, the logs replayed) -> the last RecoveryReport (the reconciliation) -> "formica listening".
set -euo pipefail
grep -h -o '"@timestamp":"[^"]*","message":"[^"]\{0,40\}' "$1" \
  | sed 's/"@timestamp":"[0-9-]*T//; s/Z","message":"/ /' \
  | awk -v total="$2" '
function s(t) { split(t, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
/answers health/ && !h { h = s($1) }
/Chronicle core loaded/ && !c { c = s($1) }
/^[^ ]* replayed/ { r = s($1) }
/RecoveryReport/ { q = s($1) }
/formica listening/ { l = s($1) }
END { j = l - total
      printf "JVM to health port %.2f s, to Chronicle loaded %.2f, to replayed %.2f,", h - j, c - h, r - c
      printf " reconciliation %.2f, to listening %.2f\n", q - r, l - q }'
