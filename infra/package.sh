#!/usr/bin/env bash
# `npm run package`: bundles the four functions and writes the CloudFormation template, offline (no AWS
# account, no network), with osls from devDependencies.
#
#   bash infra/package.sh [OUT_DIR] [osls options...]      # default OUT_DIR .serverless, stage ci
#
# Output: OUT_DIR/cloudformation-template-update-stack.json and one zip per function.
# test/integration/template.test.ts runs this and checks the template.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-.serverless}
shift || true

# osls resolves credentials before it packages, but packaging never uses them: fixed dummy ones keep a
# developer's profile (or SSO session) out of it. Nothing here talks to AWS.
export AWS_ACCESS_KEY_ID=offline-packaging AWS_SECRET_ACCESS_KEY=offline-packaging
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE
export AWS_REGION=${AWS_REGION:-us-east-1}
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off

missing=()
for fn in ingest planner compactor tick; do
  [ -f "functions/$fn.ts" ] || missing+=("functions/$fn.ts")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "package: missing handler file(s): ${missing[*]} (serverless.yml names functions/<name>.handler)" >&2
  exit 1
fi

start=$(date +%s%N)
# A bundling error can leave esbuild's service process alive after osls has failed: the timeout ends it.
timeout 300 node node_modules/osls/bin/serverless.js package --stage ci --package "$out" "$@"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "package: $out/cloudformation-template-update-stack.json and $(ls "$out"/*.zip | wc -l) zips in ${elapsed_ms} ms"
