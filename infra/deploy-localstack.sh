#!/usr/bin/env bash
# `npm run deploy:localstack`: start LocalStack and Prometheus (infra/docker-compose.yml), deploy
# serverless.yml's `local` stage into LocalStack with osls + serverless-localstack, then run the
# smoke test: push → segment → job → block → metric (infra/smoke-localstack.ts).
#
#   bash infra/deploy-localstack.sh            # up, deploy, smoke test (LocalStack keeps running)
#   bash infra/deploy-localstack.sh --no-smoke # up and deploy only
#   bash infra/deploy-localstack.sh --down     # remove the containers, the network and their data
#
# Needs Docker with the compose plugin, and the docker socket for LocalStack's Lambda containers.
# See infra/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

compose=(docker compose -f infra/docker-compose.yml)
smoke=1
case "${1:-}" in
  --down) exec "${compose[@]}" down --volumes --remove-orphans ;;
  --no-smoke) smoke=0 ;;
  '') ;;
  *) echo "usage: $0 [--no-smoke | --down]" >&2; exit 2 ;;
esac

die() { echo "deploy-localstack: $*" >&2; exit 1; }
command -v docker >/dev/null || die "docker is not installed (LocalStack runs in Docker; for no Docker at all, use npm start)"
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable (is it running? may this user use it?)"
docker compose version >/dev/null 2>&1 || die "the docker compose plugin is missing"
[ -x node_modules/.bin/osls ] || die "osls is missing: run npm ci first"
for fn in ingest planner compactor tick; do
  [ -f "functions/$fn.ts" ] || die "functions/$fn.ts is missing: every function must exist to deploy"
done

# LocalStack accepts any key pair; never let a real profile or session near this deploy.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN
export AWS_ENDPOINT_URL=http://localhost:4566
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
osls=(node node_modules/osls/bin/serverless.js)

echo "== LocalStack and Prometheus"
"${compose[@]}" up -d
for attempt in $(seq 1 60); do
  if curl -fsS http://localhost:4566/_localstack/health >/dev/null 2>&1; then break; fi
  [ "$attempt" -lt 60 ] || die "LocalStack did not answer on http://localhost:4566/_localstack/health (docker compose -f infra/docker-compose.yml logs localstack)"
  sleep 2
done
curl -fsS http://localhost:4566/_localstack/health | grep -o '"version": *"[^"]*"' || true

echo "== osls deploy --stage local"
"${osls[@]}" deploy --stage local

echo "== stack outputs"
info=$("${osls[@]}" info --stage local --verbose | sed 's/\x1b\[[0-9;]*m//g')
output() {
  local value
  value=$(printf '%s\n' "$info" | sed -n "s/^ *$1: *\(.*\)$/\1/p" | head -n 1)
  [ -n "$value" ] || die "stack output $1 is missing from osls info --verbose"
  printf '%s' "$value"
}
STRATA_BUCKET=$(output DataBucketName)
STRATA_INGEST_URL=$(output IngestLambdaFunctionUrl)
STRATA_EVENTS_DLQ_URL=$(output EventsDeadLetterQueueUrl)
STRATA_JOBS_DLQ_URL=$(output JobsDeadLetterQueueUrl)
export STRATA_BUCKET STRATA_INGEST_URL STRATA_EVENTS_DLQ_URL STRATA_JOBS_DLQ_URL
export PROMETHEUS_URL=http://127.0.0.1:9090
cat <<EOF
  bucket       $STRATA_BUCKET
  ingest URL   $STRATA_INGEST_URL
  Prometheus   $PROMETHEUS_URL
Point the AWS CLI and the strata command at it with:
  export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_REGION=$AWS_REGION AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  export STRATA_BUCKET=$STRATA_BUCKET
EOF

if [ "$smoke" = 1 ]; then
  echo "== smoke test"
  node --import tsx infra/smoke-localstack.ts
fi
