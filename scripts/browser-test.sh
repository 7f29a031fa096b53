#!/usr/bin/env bash
# End-to-end browser tests of the auth-server user center in headless
# Chromium. Installs what it needs (Debian's chromium when missing; the
# pinned playwright-core from tests/browser/package-lock.json, which
# downloads no browser), builds auth-server, starts it on a free port with a
# temporary database, key directory and file mailer, and runs
# tests/browser/*.test.mjs with node's test runner. Screenshots go to
# target/browser-screenshots/. With UPDATE_DOC_IMAGES=1 the documentation
# screenshots in docs/images/ are refreshed too.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! command -v chromium >/dev/null 2>&1; then
    echo "installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null 2>&1; then
    echo "installing node and npm"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
fi
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

bin="$(scripts/build.sh)/auth-server"

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
base="http://127.0.0.1:$port"
mkdir -p "$work/mail" target/browser-screenshots
AUTH_LISTEN="127.0.0.1:$port" \
AUTH_ISSUER="$base" \
AUTH_DATABASE_URL="sqlite://$work/auth.db" \
AUTH_SIGNING_KEY_DIR="$work/keys" \
AUTH_MAILER=file \
AUTH_MAIL_DIR="$work/mail" \
AUTH_LOGIN_FAILURES=5 \
    "$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
    if curl -fsS "$base/health/ready" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        cat "$work/server.log"
        echo "auth-server did not start" >&2
        exit 1
    fi
    sleep 0.2
done

doc_images=""
if [ "${UPDATE_DOC_IMAGES:-0}" = "1" ]; then doc_images="$root/docs/images"; fi

status=0
(cd tests/browser && BASE_URL="$base" MAIL_DIR="$work/mail" \
    SCREENSHOT_DIR="$root/target/browser-screenshots" DOC_IMAGES_DIR="$doc_images" \
    node --test --test-concurrency=1 ./*.test.mjs) || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- auth-server log ---"
    tail -n 50 "$work/server.log"
fi
exit "$status"
