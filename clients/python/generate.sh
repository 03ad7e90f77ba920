#!/usr/bin/env bash
# Writes the Python stubs of formica.v1 and of google.rpc (status, error details) into OUT:
#
#   clients/python/generate.sh PROTOC GOOGLE_RPC_DIR OUT
#
# PROTOC: the protoc of the protoc Maven artifact at the version of Debian's python3-protobuf (3.21.12 for
# bookworm's 4.21.12 runtime: generated code must not be newer than the runtime, and the build's own protoc writes
# code that asks for a newer one). The gRPC stubs come from grpc_python_plugin (Debian's protobuf-compiler-grpc,
# the version of python3-grpcio); Debian's python3-grpc-tools is too old. GOOGLE_RPC_DIR holds
# google/rpc/status.proto and error_details.proto (from the proto-google-common-protos jar).
set -euo pipefail
PROTOC="${1:?usage: generate.sh PROTOC GOOGLE_RPC_DIR OUT}" RPC="${2:?}" OUT="${3:?}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PLUGIN="$(command -v grpc_python_plugin || true)"
[ -n "$PLUGIN" ] || { echo "generate.sh: grpc_python_plugin missing (apt-get install protobuf-compiler-grpc)" >&2; exit 1; }
mkdir -p "$OUT"
"$PROTOC" -I "$ROOT/proto/src/main/proto" -I "$RPC" --python_out="$OUT" --grpc_python_out="$OUT" \
  --plugin=protoc-gen-grpc_python="$PLUGIN" "$ROOT"/proto/src/main/proto/formica/v1/*.proto
"$PROTOC" -I "$RPC" --python_out="$OUT" "$RPC/google/rpc/status.proto" "$RPC/google/rpc/error_details.proto"
