#!/usr/bin/env bash
# Interoperability tests of auth-server with OAuth client libraries we did
# not write (Python authlib, requests-oauthlib, PyJWT's PyJWKClient).
#
# Builds auth-server, starts it on a free port with a temporary database and
# key directory, registers clients and users (one of them entitled to
# idmap:read) with the admin CLI, installs
# the libraries from PyPI into a virtual environment under target/ (created
# once, reused afterwards), runs crates/auth-server/tests/interop/test_*.py,
# stops the server, and exits non-zero if anything failed.
#
# Usage: scripts/interop-test.sh   (from anywhere in a clone)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET_DIR/interop-venv"
TESTS="$ROOT/crates/auth-server/tests/interop"

log() { printf '[interop] %s\n' "$*" >&2; }

ensure_venv() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import authlib, requests_oauthlib, jwt' 2>/dev/null; then
        return
    fi
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        # Debian ships ensurepip separately.
        log "python3 -m venv failed; installing Debian's python3-venv"
        rm -rf "$VENV"
        if [ "$(id -u)" -eq 0 ]; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        else
            sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        fi
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$TESTS/requirements.txt"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

log "building auth-server"
BIN="$(scripts/build.sh)/auth-server"

ensure_venv

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(free_port)"
export AUTH_LISTEN="127.0.0.1:$PORT"
export AUTH_ISSUER="http://127.0.0.1:$PORT"
export AUTH_DATABASE_URL="sqlite://$WORK/auth.db"
export AUTH_SIGNING_KEY_DIR="$WORK/keys"
export AUTH_LOG_FORMAT=text
REDIRECT_URI="http://127.0.0.1:9/callback"
USER_EMAIL="interop@example.org"
OTHER_EMAIL="unentitled@example.org"
USER_PASSWORD="interop-$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')"

json_field() { "$VENV/bin/python" -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

log "registering clients and users (one entitled to idmap:read) with the admin CLI"
CC="$("$BIN" admin client add --scope "idmap:read idmap:link" --name "interop cc")"
PUBLIC="$("$BIN" admin client add --public --redirect-uri "$REDIRECT_URI" --scope "profile idmap:read" --name "interop public")"
CONF="$("$BIN" admin client add --redirect-uri "$REDIRECT_URI" --scope "profile" --name "interop confidential")"
printf '%s\n' "$USER_PASSWORD" | "$BIN" admin user add --email "$USER_EMAIL" --verified >/dev/null
printf '%s\n' "$USER_PASSWORD" | "$BIN" admin user add --email "$OTHER_EMAIL" --verified >/dev/null
# The first user may hold idmap:read in user-facing grants; the other may not.
"$BIN" admin entitlement grant --user "$USER_EMAIL" --scope idmap:read >/dev/null

export CC_ID="$(json_field client_id <<<"$CC")" CC_SECRET="$(json_field client_secret <<<"$CC")"
export PUBLIC_ID="$(json_field client_id <<<"$PUBLIC")"
export CONF_ID="$(json_field client_id <<<"$CONF")" CONF_SECRET="$(json_field client_secret <<<"$CONF")"
export AUTH_BASE="$AUTH_ISSUER" REDIRECT_URI USER_EMAIL USER_PASSWORD OTHER_EMAIL
# Plain http on loopback: tell both libraries it is intended.
export AUTHLIB_INSECURE_TRANSPORT=1 OAUTHLIB_INSECURE_TRANSPORT=1

log "starting auth-server on port $PORT"
"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    if "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$AUTH_BASE/health/ready" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log" >&2; log "server exited"; exit 1; fi
    sleep 0.1
done

status=0
for t in "$TESTS"/test_*.py; do
    log "running $(basename "$t")"
    (cd "$TESTS" && "$VENV/bin/python" "$t") || status=1
done
if [ "$status" -ne 0 ]; then
    log "failures; server log follows"
    tail -n 50 "$WORK/server.log" >&2
fi
exit "$status"
