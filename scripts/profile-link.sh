#!/usr/bin/env bash
# What idmap-server's link path costs per patient on a fresh registry, in
# counts that load on the machine does not change: link x100 with every
# patient new (a UUID, two bindings, a ref each), N requests from
# idmap-bench. idmap-server runs under callgrind with collection switched
# on only around the requests (instructions per patient, top functions);
# on PostgreSQL and MariaDB a private server started for the run also
# reports its statements (calls, plans, time) from pg_stat_statements or
# performance_schema.
#
# Usage: scripts/profile-link.sh [--backend sqlite|postgres|mysql]
#                                [--requests N] [--concurrency C] [--keep DIR]
#   --requests N     measured requests of 100 patients (default 60)
#   --concurrency C  requests in flight (default 8)
#   --keep DIR       copy the callgrind output there (for callgrind_annotate)
#
# Uses the binaries of scripts/build.sh (set CARGO_PROFILE_DEV_OPT_LEVEL=2
# to measure optimized code, as the benchmarks do). Needs valgrind,
# python3, and for the server backends PostgreSQL 15+ or MariaDB binaries.
set -euo pipefail

backend=sqlite
requests=60
concurrency=8
keep=""
while [ $# -gt 0 ]; do
    case "$1" in
        --backend) backend="$2"; shift 2 ;;
        --requests) requests="$2"; shift 2 ;;
        --concurrency) concurrency="$2"; shift 2 ;;
        --keep) keep="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$backend" in sqlite|postgres|mysql) ;; *) echo "unknown backend $backend" >&2; exit 2 ;; esac

cd "$(dirname "$0")/.."
bin=$(scripts/build.sh)
work="$(mktemp -d)"
pids=()
pg_bin=""
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    if [ -n "$pg_bin" ]; then as_nobody "$pg_bin/pg_ctl" -w -m immediate -D "$work/pg" stop >/dev/null 2>&1 || true; fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/lib/local-services.sh
. scripts/lib/local-services.sh
[ "$(id -u)" = 0 ] && chown nobody:nogroup "$work"

db_port="$(free_port)"
case "$backend" in
    sqlite) idmap_db="sqlite://$work/idmap.db" ;;
    postgres)
        pg_bin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
        as_nobody "$pg_bin/initdb" -U postgres --auth=trust --no-sync -E UTF8 -D "$work/pg" >/dev/null
        as_nobody "$pg_bin/pg_ctl" -w -t 60 -D "$work/pg" -l "$work/pg.log" -o "-p $db_port -k $work \
            -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements \
            -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on" start >/dev/null
        psql() { command psql "postgres://postgres@127.0.0.1:$db_port/$1" -v ON_ERROR_STOP=1 -qAt "${@:2}"; }
        psql postgres -c "CREATE DATABASE idmap"
        psql idmap -c "CREATE EXTENSION pg_stat_statements"
        idmap_db="postgres://postgres@127.0.0.1:$db_port/idmap" ;;
    mysql)
        as_nobody mariadb-install-db --no-defaults --datadir="$work/my" \
            --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve >/dev/null
        as_nobody mariadbd --no-defaults --datadir="$work/my" --port="$db_port" \
            --socket="$work/my.sock" --pid-file="$work/my.pid" --log-error="$work/my.log" \
            --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin --performance-schema=ON &
        pids+=($!)
        mysql() { command mysql --protocol=TCP -h 127.0.0.1 -P "$db_port" -u root "$@"; }
        for _ in $(seq 240); do mysql -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.25; done
        mysql -e "CREATE DATABASE idmap CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        idmap_db="mysql://root@127.0.0.1:$db_port/idmap" ;;
esac

# auth-server runs natively: it only issues the bench client's tokens.
auth_port="$(free_port)"
auth_url="http://127.0.0.1:$auth_port"
AUTH_LISTEN="127.0.0.1:$auth_port" AUTH_ISSUER="$auth_url" AUTH_DATABASE_URL="sqlite://$work/auth.db" \
    AUTH_SIGNING_KEY_DIR="$work/keys" AUTH_RATE_LIMIT_ENABLED=false RUST_LOG=warn \
    "$bin/auth-server" serve > "$work/auth.log" 2>&1 &
pids+=($!)
wait_http "$auth_url/.well-known/oauth-authorization-server" 600
export AUTH_DATABASE_URL="sqlite://$work/auth.db" AUTH_SIGNING_KEY_DIR="$work/keys"
"$bin/auth-server" admin partner add BENCH --name "Benchmark partner" > /dev/null
created="$("$bin/auth-server" admin client add --partner BENCH --scope idmap:link)"
client_id="$(printf '%s' "$created" | json_field client_id)"
IDMAP_BENCH_CLIENT_SECRET="$(printf '%s' "$created" | json_field client_secret)"
export IDMAP_BENCH_CLIENT_SECRET

idmap_port="$(free_port)"
idmap_url="http://127.0.0.1:$idmap_port"
out="$work/callgrind.out"
IDMAP_LISTEN="127.0.0.1:$idmap_port" IDMAP_DATABASE_URL="$idmap_db" IDMAP_ISSUER="$auth_url" RUST_LOG=warn \
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
    "$bin/idmap-server" serve > "$work/idmap.log" 2>&1 &
idmap_pid=$!
pids+=("$idmap_pid")
wait_http "$idmap_url/health/ready" 600
case "$backend" in
    postgres) psql idmap -c "SELECT pg_stat_statements_reset()" >/dev/null ;;
    mysql) mysql -e "TRUNCATE performance_schema.events_statements_summary_by_digest;
        TRUNCATE performance_schema.events_statements_summary_global_by_event_name" ;;
    sqlite) ;;
esac

callgrind_control --instr=on "$idmap_pid" >/dev/null
"$bin/idmap-bench" run --auth-url "$auth_url" --idmap-url "$idmap_url" "--client-id=$client_id" \
    --concurrency "$concurrency" --warmup 0 --duration 3600 --max-requests "$requests" \
    --preloaded-hashes 0 --registry-label fresh --fresh --scenarios link100 \
    --out "$work/results.jsonl" >&2
callgrind_control --instr=off "$idmap_pid" >/dev/null
callgrind_control --dump "$idmap_pid" >/dev/null
kill "$idmap_pid"; wait "$idmap_pid" 2>/dev/null || true

patients=$((requests * 100))
dump="$(ls "$out".* 2>/dev/null | head -1)"
[ -n "$dump" ] || dump="$out"
total="$(callgrind_annotate "$dump" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)"
[ -n "$keep" ] && mkdir -p "$keep" && cp "$dump" "$keep/callgrind-link-$backend.out"
echo "$backend: $patients patients, $total instructions in idmap-server, $((total / patients)) per patient"
callgrind_annotate --inclusive=yes "$dump" 2>/dev/null | sed -n '/file:function/,$p' | head -40 || true

case "$backend" in
    postgres)
        echo "statements (pg_stat_statements, track = all):"
        psql idmap -F ' | ' -c "SELECT calls, plans, round(total_exec_time)::int AS exec_ms,
            round(total_plan_time)::int AS plan_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 90)
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'idmap')
            ORDER BY total_exec_time + total_plan_time DESC LIMIT 15" ;;
    mysql)
        # Prepared statements (diesel's binary protocol) have no digest
        # text; their kinds and counts are in the summary by event name.
        echo "statements (performance_schema, count, ms, kind):"
        mysql -N -e "SELECT COUNT_STAR, ROUND(SUM_TIMER_WAIT / 1e9), EVENT_NAME
            FROM performance_schema.events_statements_summary_global_by_event_name
            WHERE COUNT_STAR > 0 ORDER BY SUM_TIMER_WAIT DESC LIMIT 15" ;;
    sqlite) ;;
esac
