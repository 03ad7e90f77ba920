#!/usr/bin/env bash
# Contract hygiene of the formica.v1 API (docs/api.md), run by .ci/run:
#   1. buf lint (buf.yaml: STANDARD, with the contract's names excepted where buf's style would rename them);
#   2. every file has the same go_package, an importable path (a domain first);
#   3. buf breaking (FILE rules) against the last release of the contract.
# buf comes from the @bufbuild/buf npm package (proto/package.json, installed here with npm ci when missing).
# Skips with a message, exit 0, when npm is missing or the install fails; fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."

# The last release of the contract: no release tag exists yet, so it is the proto files at this commit of main
# (2026-12-05, the API that checkout, wallet and data teams build against; the last change of the .proto files
# before it is 553f0a4, partitions). Move it to the release tag when one is cut.
BASELINE=ac7d84125056b49e04386bd7abc88dd9e7d02ef6
PROTO_DIR=proto/src/main/proto
GO_PACKAGE="formica.dev/api/formica/v1;formicav1"
BUF=proto/node_modules/.bin/buf

if [ ! -x "$BUF" ]; then
  if ! command -v npm >/dev/null; then
    echo "proto-contract: SKIPPED: npm is missing, so buf (@bufbuild/buf) cannot be installed"; exit 0
  fi
  (cd proto && npm ci --no-audit --no-fund --loglevel=error >&2) \
    || { echo "proto-contract: SKIPPED: npm ci of @bufbuild/buf failed (no access to the npm registry?)"; exit 0; }
fi

"$BUF" lint
echo "proto-contract: buf lint: no findings ($("$BUF" --version))"

bad="$(grep -L "option go_package = \"$GO_PACKAGE\";" "$PROTO_DIR"/formica/v1/*.proto || true)"
[ -z "$bad" ] || { echo "proto-contract: go_package is not \"$GO_PACKAGE\" in: $bad" >&2; exit 1; }
echo "proto-contract: go_package $GO_PACKAGE in every file"

git cat-file -e "$BASELINE^{commit}" 2>/dev/null \
  || { echo "proto-contract: the baseline commit $BASELINE is not in this clone (shallow?): git fetch --unshallow" >&2
       exit 1; }
config=buf.yaml
# a variable, not `git show | grep -q`: under pipefail grep's early exit can fail git show with SIGPIPE
baseline_common="$(git show "$BASELINE:$PROTO_DIR/formica/v1/common.proto")"
if grep -q 'go_package = "formica/v1;formicav1"' <<<"$baseline_common"; then
  # the baseline's go_package was no importable path, so no Go code can depend on it: its one change to a real
  # path is not a break. Every other FILE rule holds, and so will this one against a release that has the new path.
  config="$(mktemp --suffix=.yaml)"
  trap 'rm -f "$config"' EXIT
  cp buf.yaml "$config"
  printf '  except:\n    - FILE_SAME_GO_PACKAGE\n' >> "$config"
  echo "proto-contract: the baseline's go_package was not importable: FILE_SAME_GO_PACKAGE excepted against it"
fi
"$BUF" breaking --config "$config" --against ".git#ref=$BASELINE,subdir=$PROTO_DIR"
echo "proto-contract: buf breaking: no breaking change against $BASELINE (FILE rules)"
