#!/usr/bin/env bash
# Protocol conformance of the packaged server, as CI runs it after the tests:
#   ./mvnw -DskipTests package && conformance/run.sh
# Starts target/*.jar in the development profile (embedded PostgreSQL, on ports 18080/18081),
# installs the pinned npm packages (package-lock.json) and runs graphql-http's GraphQL-over-HTTP
# audit, the graphql-transport-ws close-code check, the resume check and @apollo/client's
# automatic persisted queries; fails on any error-level result.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "conformance: node and npm are needed (Node 18 or later)" >&2
  exit 1
fi
jar=$(ls ../target/dedw3n-api-*.jar | grep -v original | head -1)
log=$(mktemp)
java -jar "$jar" --spring.profiles.active=dev --server.port=18080 --management.server.port=18081 \
  --dedw3n.embedded-postgres.ephemeral=true >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -f "$log"' EXIT
npm ci --no-audit --no-fund --silent
for _ in $(seq 120); do
  if curl -sf http://127.0.0.1:18080/actuator/health/readiness >/dev/null 2>&1 \
    || curl -sf http://127.0.0.1:18081/actuator/health/readiness >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 $server 2>/dev/null; then
    cat "$log" >&2
    echo "conformance: the server did not start" >&2
    exit 1
  fi
  sleep 1
done
node audit.mjs http://127.0.0.1:18080/graphql
node ws-close.mjs ws://127.0.0.1:18080/graphql
node resume.mjs http://127.0.0.1:18080/graphql
node apq.mjs http://127.0.0.1:18080/graphql
