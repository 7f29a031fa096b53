#!/usr/bin/env bash
# Instructions per request of auth-server's token endpoint and
# introspection, counted by callgrind: repeatable on a busy machine where
# throughput is not. Starts auth-server on a fresh SQLite database (or the
# --database-url given), registers a client, then runs it under callgrind
# with collection switched on only around N requests sent one after the
# other on one keep-alive connection, and prints the instructions per
# request and the top functions (inclusive).
#
# Usage: scripts/profile-auth.sh [--requests N] [--database-url URL] [--keep DIR]
#                                token|introspect
#   --requests N       measured requests (default 2000)
#   --database-url U   an empty database for auth-server (default a
#                      temporary SQLite file)
#   --keep DIR         copy the callgrind output there (for callgrind_annotate)
#
# Uses the binary of scripts/build.sh (set CARGO_PROFILE_DEV_OPT_LEVEL=2 to
# measure optimized code, as the benchmarks do). Needs valgrind and python3.
set -euo pipefail

requests=2000
database_url=""
keep=""
scenario=""
while [ $# -gt 0 ]; do
    case "$1" in
        --requests) requests="$2"; shift 2 ;;
        --database-url) database_url="$2"; shift 2 ;;
        --keep) keep="$2"; shift 2 ;;
        token|introspect) scenario="$1"; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$scenario" ] || { echo "say token or introspect" >&2; exit 2; }

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/local-services.sh
. scripts/lib/local-services.sh
bin=$(scripts/build.sh)
work="$(mktemp -d)"
pid=""
cleanup() {
    local status=$?
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(free_port)"
url="http://127.0.0.1:$port"
export AUTH_LISTEN="127.0.0.1:$port" AUTH_ISSUER="$url"
export AUTH_DATABASE_URL="${database_url:-sqlite://$work/auth.db}"
export AUTH_SIGNING_KEY_DIR="$work/keys" AUTH_RATE_LIMIT_ENABLED=false RUST_LOG=warn

# A first run without valgrind migrates and creates the keys.
"$bin/auth-server" serve > "$work/native.log" 2>&1 &
pid=$!
wait_http "$url/.well-known/oauth-authorization-server" 600
created="$("$bin/auth-server" admin client add --scope idmap:read)"
id="$(printf '%s' "$created" | json_field client_id)"
secret="$(printf '%s' "$created" | json_field client_secret)"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

out="$work/callgrind.out"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
    "$bin/auth-server" serve > "$work/valgrind.log" 2>&1 &
pid=$!
wait_http "$url/.well-known/oauth-authorization-server" 600

python3 - "$port" "$id" "$secret" "$scenario" "$requests" "$pid" <<'EOF'
import base64, http.client, json, subprocess, sys
port, cid, secret, scenario, n, pid = sys.argv[1:]
basic = "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()
conn = http.client.HTTPConnection("127.0.0.1", int(port))
def post(path, body):
    conn.request("POST", path, body, {"Authorization": basic,
        "Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    data = r.read()
    assert r.status == 200, (r.status, data)
    return json.loads(data) if data else None
token = post("/oauth/token", "grant_type=client_credentials")["access_token"]
path, body = (("/oauth/token", "grant_type=client_credentials") if scenario == "token"
              else ("/oauth/introspect", f"token={token}"))
for _ in range(20):
    post(path, body)
subprocess.run(["callgrind_control", "--instr=on", pid], check=True, capture_output=True)
for _ in range(int(n)):
    answer = post(path, body)
    assert scenario == "token" or answer["active"] is True
subprocess.run(["callgrind_control", "--instr=off", pid], check=True, capture_output=True)
subprocess.run(["callgrind_control", "--dump", pid], check=True, capture_output=True)
EOF
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

dump="$(ls "$out".* 2>/dev/null | head -1)"
[ -n "$dump" ] || dump="$out"
total="$(callgrind_annotate "$dump" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)"
if [ -n "$keep" ]; then mkdir -p "$keep"; cp "$dump" "$keep/callgrind-$scenario.out"; fi
echo "$scenario: $requests requests, $total instructions, $((total / requests)) per request"
callgrind_annotate --inclusive=yes "$dump" 2>/dev/null | sed -n '/file:function/,$p' | head -45 || true
