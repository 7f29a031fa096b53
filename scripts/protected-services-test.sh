#!/usr/bin/env bash
# The services other teams write to accept our tokens, in Rust, Python, Go
# and Node.js (examples/*-service), each run against a real auth-server and
# held to one table of answers (tests/protected-services/check.py): valid,
# missing, empty, duplicate and foreign tokens, each claim rule broken with
# the server's own key, and a key rotated in an emergency.
#
# Installs what it needs (Debian's Go and go-jose, PyJWT into a venv under
# target/, jose from npm), starts everything on free loopback ports, stops
# it by PID on exit, and prints "N passed, M failed".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET_DIR/services-venv"
log() { printf '[services] %s\n' "$*" >&2; }

need=()
command -v go >/dev/null 2>&1 || need+=(golang-go)
[ -d /usr/share/gocode/src/gopkg.in/square/go-jose.v2 ] || need+=(golang-gopkg-square-go-jose.v2-dev)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if ((${#need[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! "$VENV/bin/python" -c 'import jwt, cryptography' 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r examples/python-service/requirements.txt
fi

log "building auth-server and the Rust example"
AUTH_BIN="$(scripts/build.sh)/auth-server"
log "building the Go example (GOPATH mode against Debian's go-jose)"
GO_BIN="$TARGET_DIR/go-protected-service"
(cd examples/go-service && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$TARGET_DIR/go-cache" \
  go build -o "$GO_BIN" .)
log "installing the Node.js example's locked dependencies"
(cd examples/node-service && npm ci --silent --no-audit --no-fund)

WORK="$(mktemp -d)"
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_for() { # name pid url
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null "$3"; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then cat "$WORK/$1.log" >&2; log "$1 exited"; exit 1; fi
    sleep 0.1
  done
  cat "$WORK/$1.log" >&2; log "$1 did not answer"; exit 1
}
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

PORT="$(free_port)"
export AUTH_LISTEN="127.0.0.1:$PORT" AUTH_ISSUER="http://127.0.0.1:$PORT"
export AUTH_DATABASE_URL="sqlite://$WORK/auth.db" AUTH_SIGNING_KEY_DIR="$WORK/keys" AUTH_LOG_FORMAT=text
"$AUTH_BIN" admin partner add SVC1 --name "Services test partner" >/dev/null
READER="$("$AUTH_BIN" admin client add --scope "idmap:read" --name "reader")"
LINKER="$("$AUTH_BIN" admin client add --partner SVC1 --scope "idmap:link" --name "linker")"
INTROSPECT="$("$AUTH_BIN" admin client add --scope "introspect" --name "introspector")"
READER_ID="$(json_field client_id <<<"$READER")"
READER_SECRET="$(json_field client_secret <<<"$READER")"
LINKER_ID="$(json_field client_id <<<"$LINKER")"
LINKER_SECRET="$(json_field client_secret <<<"$LINKER")"
INTROSPECT_ID="$(json_field client_id <<<"$INTROSPECT")"
INTROSPECT_SECRET="$(json_field client_secret <<<"$INTROSPECT")"
export READER_ID READER_SECRET LINKER_ID LINKER_SECRET INTROSPECT_ID INTROSPECT_SECRET

"$AUTH_BIN" serve >"$WORK/auth.log" 2>&1 &
pids+=($!)
wait_for auth "$!" "$AUTH_ISSUER/health/ready"

services=()
start() { # name command...
  local name=$1 port
  shift
  port="$(free_port)"
  ISSUER="$AUTH_ISSUER" AUDIENCE=idmap LISTEN="127.0.0.1:$port" "$@" >"$WORK/$name.log" 2>&1 &
  pids+=($!)
  wait_for "$name" "$!" "http://127.0.0.1:$port/whoami"
  services+=("$name=http://127.0.0.1:$port")
}
start rust "$TARGET_DIR/debug/examples/protected-service"
start python "$VENV/bin/python" examples/python-service/service.py
start go "$GO_BIN"
start node node examples/node-service/service.mjs

log "checking ${#services[@]} services"
status=0
SERVICES="$(IFS=,; echo "${services[*]}")" AUTH_BASE="$AUTH_ISSUER" KEY_DIR="$AUTH_SIGNING_KEY_DIR" \
  AUTH_BIN="$AUTH_BIN" "$VENV/bin/python" tests/protected-services/check.py || status=$?
if [ "$status" -ne 0 ]; then
  for f in "$WORK"/*.log; do log "tail of $(basename "$f")"; tail -n 20 "$f" >&2; done
fi
exit "$status"
