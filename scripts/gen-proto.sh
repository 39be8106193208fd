#!/usr/bin/env bash
# Generates the static protobuf code in lib/gen/ (or the folder given as $1) from the .proto files in
# proto/. Run `npm run gen:proto` after editing a .proto file; `npm test` fails when lib/gen/ differs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-lib/gen}
mkdir -p "$out"
generate() { # generate NAME PROTO...
  local name=$1; shift
  npx pbjs -t static-module -w proto/wrapper.js --es6 --force-number --no-verify --no-convert --no-delimited --no-service \
    --no-typeurl -o "$out/$name.js" "$@"
  npx pbts --no-comments -o "$out/$name.d.ts" "$out/$name.js"
  # int64 fields are numbers (--force-number), so the Long import that pbts writes is unused.
  sed -i '/^import Long = require("long");$/d' "$out/$name.d.ts"
}
generate segment proto/strata/segment.proto
generate prometheus proto/prometheus/remote.proto
generate pprof proto/pprof/profile.proto
