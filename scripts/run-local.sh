#!/usr/bin/env bash
# Runs the whole system locally on SQLite: builds both services, starts
# them, creates a demo partner and client once, and prints a curl example
# that gets a token and links a hash. Ctrl-C stops everything.
# State lives in ./data (databases, signing keys, demo credentials, logs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-system-deps.sh

AUTH_PORT=${AUTH_PORT:-8081}
IDMAP_PORT=${IDMAP_PORT:-8082}
export AUTH_LISTEN="127.0.0.1:${AUTH_PORT}" AUTH_ISSUER="http://127.0.0.1:${AUTH_PORT}"
export IDMAP_LISTEN="127.0.0.1:${IDMAP_PORT}" IDMAP_ISSUER="http://127.0.0.1:${AUTH_PORT}"

echo "Building (first build takes a few minutes)..." >&2
cargo build --quiet --bin auth-server --bin idmap-server --bin idmap
bin=target/debug
mkdir -p data/logs

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_ready() {
  local url=$1 name=$2 log=$3
  for _ in $(seq 1 100); do
    curl -fsS "$url" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "$name did not become ready; its log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}

"$bin/auth-server" serve >>data/logs/auth-server.log 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:${AUTH_PORT}/health/ready" auth-server data/logs/auth-server.log

creds=data/demo-client.json
if [ ! -s "$creds" ]; then
  "$bin/auth-server" admin partner add DEMO --name "Demo partner" >/dev/null 2>&1 || true
  "$bin/auth-server" admin client add --partner DEMO --scope "idmap:link idmap:read" --name "demo" >"$creds.tmp"
  mv "$creds.tmp" "$creds"
fi
client_id=$(sed -E 's/.*"client_id" *: *"([^"]+)".*/\1/' "$creds")
client_secret=$(sed -E 's/.*"client_secret" *: *"([^"]+)".*/\1/' "$creds")

"$bin/idmap-server" serve >>data/logs/idmap-server.log 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:${IDMAP_PORT}/health/ready" idmap-server data/logs/idmap-server.log

hash=$(printf 'demo patient' | sha256sum | cut -d' ' -f1)
cat <<MSG

idmap is running on SQLite (data in ./data, logs in ./data/logs):
  auth-server   http://127.0.0.1:${AUTH_PORT}
  idmap-server  http://127.0.0.1:${IDMAP_PORT}
Demo partner DEMO, client credentials in ${creds}.

Get a token and link a hash (copy and paste into another terminal):

TOKEN=\$(curl -s -u '${client_id}:${client_secret}' -d grant_type=client_credentials http://127.0.0.1:${AUTH_PORT}/oauth/token | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
curl -s -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"patients":[{"ref":"demo-1","hashes":[{"rule":"F_L_D_S","hash":"${hash}"}]}]}' http://127.0.0.1:${IDMAP_PORT}/api/v1/link

Press Ctrl-C to stop both services.
MSG
wait -n "${pids[@]}"
echo "a service exited; see data/logs" >&2
