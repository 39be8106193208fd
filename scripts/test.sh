#!/usr/bin/env bash
# `npm test`: everything CI checks, in the order a failure is cheapest to read.
#   1. the generated protobuf code matches the .proto files
#   2. type-check (tsc, strict) and lint (eslint)
#   3. unit, integration, end-to-end and chaos tests (node's test runner), on the embedded stack
# Suites that need an optional component (Prometheus, Pyroscope's client) skip loudly on a developer
# machine without it and fail under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

[ -d node_modules ] || { echo "== installing dependencies (npm ci)"; npm ci; }

echo "== generated protobuf code is up to date"
generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
bash scripts/gen-proto.sh "$generated"
if ! diff -r "$generated" lib/gen >/dev/null; then
  diff -r "$generated" lib/gen | head -20
  echo "lib/gen differs from what scripts/gen-proto.sh generates from proto/: run npm run gen:proto" >&2
  exit 1
fi

echo "== type-check"
npx tsc -p tsconfig.json

echo "== lint"
npx eslint .

echo "== tests"
mapfile -t files < <(find test/unit test/integration test/e2e test/chaos -name '*.test.ts' 2>/dev/null | sort)
node --import tsx --test --test-reporter=spec --test-reporter-destination=stdout "${files[@]}"
