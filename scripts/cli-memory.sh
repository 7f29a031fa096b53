#!/usr/bin/env bash
# Peak memory of the partner CLI on a large generated input.
#
# Generates a CSV of synthetic identifying fields (1,000,000 rows by
# default), runs `idmap hash` on it under /usr/bin/time -v and prints the
# peak resident set. With --with-run it also starts auth-server and
# idmap-server locally (SQLite in a temporary directory), registers a
# partner client and runs `idmap run` on the same file.
#
# Usage: scripts/cli-memory.sh [--rows N] [--large] [--release] [--with-run]
#   --rows N     rows to generate (default 1000000)
#   --large      10,000,000 rows
#   --release    build with the release profile (default: dev, whose
#                dependencies are optimized)
#   --with-run   also link the file with `idmap run` against local servers
#
# Nothing generated here is real data; everything lives in a temporary
# directory removed at exit.
set -euo pipefail

rows=1000000
profile=dev
with_run=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) rows="$2"; shift 2 ;;
        --large) rows=10000000; shift ;;
        --release) profile=release; shift ;;
        --with-run) with_run=1; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 1 ;;
    esac
done

cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/time ]; then
    echo "needs /usr/bin/time (Debian package 'time')" >&2
    exit 1
fi

packages=(-p idmap-cli)
[ "$with_run" = 1 ] && packages+=(-p auth-server -p idmap-server)
if [ "$profile" = release ]; then
    cargo build --release "${packages[@]}"
else
    cargo build "${packages[@]}"
fi
target_dir="${CARGO_TARGET_DIR:-target}"
bin_dir="$target_dir/$([ "$profile" = release ] && echo release || echo debug)"

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

echo "generating $rows rows in $work/people.csv"
awk -v n="$rows" 'BEGIN {
    print "ref,first,last,dob,sex,race,zip,city"
    for (i = 0; i < n; i++) {
        printf "R%d,Name%dx,Family%dy,19%02d-%02d-%02d,%s,%d,3%04d,City%d\n",
            i, i, i * 7, i % 100, 1 + i % 12, 1 + i % 28, (i % 2 ? "M" : "F"),
            1 + i % 6, i % 10000, i % 500
    }
}' > "$work/people.csv"
ls -l "$work/people.csv"

salt="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
peak() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1"; }

IDMAP_SALT="$salt" /usr/bin/time -v -o "$work/hash.time" \
    "$bin_dir/idmap" hash --rules F_L_D_S,F_L_D_R,F_L_D_Z,L_F_D_Z,F_L_D_C,L_F_D_C \
    -o "$work/hashes.csv" "$work/people.csv"
echo "idmap hash: $rows rows, peak RSS $(peak "$work/hash.time") KiB, elapsed $(elapsed "$work/hash.time")"

if [ "$with_run" = 1 ]; then
    free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
    auth_port="$(free_port)"
    idmap_port="$(free_port)"
    export AUTH_LISTEN="127.0.0.1:$auth_port" AUTH_ISSUER="http://127.0.0.1:$auth_port"
    export AUTH_DATABASE_URL="sqlite://$work/auth.db" AUTH_SIGNING_KEY_DIR="$work/keys"
    export IDMAP_LISTEN="127.0.0.1:$idmap_port" IDMAP_ISSUER="$AUTH_ISSUER"
    export IDMAP_DATABASE_URL="sqlite://$work/idmap.db"
    "$bin_dir/auth-server" serve > "$work/auth.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        curl -fsS "$AUTH_ISSUER/.well-known/oauth-authorization-server" > /dev/null 2>&1 && break
        sleep 0.2
    done
    "$bin_dir/idmap-server" serve > "$work/idmap.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        curl -fsS "http://127.0.0.1:$idmap_port/health/ready" > /dev/null 2>&1 && break
        sleep 0.2
    done
    "$bin_dir/auth-server" admin partner add MEM --name "Memory test" > /dev/null
    client="$("$bin_dir/auth-server" admin client add --partner MEM --scope idmap:link)"
    client_id="$(printf '%s' "$client" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')"
    IDMAP_CLIENT_SECRET="$(printf '%s' "$client" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')" \
    IDMAP_SALT="$salt" /usr/bin/time -v -o "$work/run.time" \
        "$bin_dir/idmap" run --rules F_L_D_S,F_L_D_Z --url "http://127.0.0.1:$idmap_port" \
        --issuer "$AUTH_ISSUER" --client-id "$client_id" --batch-size 5000 \
        --progress-interval 30 -o "$work/uuids.csv" "$work/people.csv"
    echo "idmap run: $rows rows, peak RSS $(peak "$work/run.time") KiB, elapsed $(elapsed "$work/run.time")"
fi
