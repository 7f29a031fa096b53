#!/usr/bin/env bash
# Benchmark suite: builds in release mode, starts auth-server and
# idmap-server on the chosen backend (fresh databases, rate limits off),
# preloads a synthetic registry, runs every scenario with idmap-bench and
# prints one table, then the physical-limit companions.
# See docs/benchmarks.md for what each figure means.
#
# Usage: scripts/bench.sh [--backend sqlite|postgres|mysql] [--duration S] [--smoke]
#   --backend B      database of both services (default sqlite); PostgreSQL at
#                    postgres://postgres@127.0.0.1:5432, MariaDB/MySQL at
#                    mysql://root@127.0.0.1:3306 (override with
#                    BENCH_POSTGRES_URL / BENCH_MYSQL_URL, server part only)
#   --duration S     measured seconds per scenario (default 10)
#   --concurrency N  workers per scenario (default 8)
#   --alg A          signing algorithm RS256, ES256 or EdDSA (default RS256)
#   --hashes N       stored hashes of the main registry (default 100000)
#   --large-hashes N stored hashes of scenario 8 (default 10000000; 0 skips it)
#   --cli-rows N     patients of the CLI scenario (default 1000000)
#   --client C       hyper (default) or reqwest
#   --auth-only      only scenarios 1 and 2 and the JWT companions (to
#                    compare signing algorithms without the registry runs)
#   --pg-compose     with --backend postgres: a private PostgreSQL server
#                    started for the run from this machine's binaries with
#                    initdb's defaults (autovacuum on, fsync on, 128 MB of
#                    shared buffers), as the compose file runs its image,
#                    instead of the local server
#   --mysql-private  with --backend mysql: a private MariaDB server started
#                    for the run from this machine's binaries with the
#                    compose image's settings plus performance_schema, and
#                    a step that prints the statement costs of link x100
#                    on a fresh registry (events_statements_summary_by_digest)
#   --peers          also run scenarios 1 and 2 against oidc-provider 8.8.1
#                    (Node.js >= 20 and npm; installed into
#                    target/bench-peers/ from scripts/bench-peers/) right
#                    after auth-server's, and print them side by side
#   --no-fresh       skip scenario 9 (link x1, x100, x1000 into an empty
#                    registry, every patient new)
#   --build P        cargo profile of the binaries: release (default) or dev
#                    (optimized dependencies, unoptimized workspace crates
#                    unless CARGO_PROFILE_DEV_OPT_LEVEL says otherwise), for
#                    a machine where a release build does not fit
#   --smoke          dev profile, tiny sizes, about one second per scenario:
#                    keeps this script from rotting; its figures mean nothing
#
# Loopback only. Every step is bounded; on exit (also on Ctrl-C) the
# services, the peer and a private database server are stopped by PID and
# the temporary databases dropped. Preloaded SQLite
# files are cached in target/bench-data/ (delete it to rebuild them), and
# preloaded PostgreSQL registries as template databases
# idmap_bench_tpl_<hashes>_seed1_v2 (drop them to rebuild).
set -euo pipefail

backend=sqlite
duration=10
warmup=2
concurrency=8
alg=RS256
hashes=100000
large_hashes=10000000
cli_rows=1000000
client=hyper
smoke=0
auth_only=0
fresh=1
pg_compose=0
mysql_private=0
peers=0
build=release
pg_private=""
pg_dir=""
my_pid=""
my_dir=""
limit_duration=5
cost_requests=300
while [ $# -gt 0 ]; do
    case "$1" in
        --backend) backend="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --concurrency) concurrency="$2"; shift 2 ;;
        --alg) alg="$2"; shift 2 ;;
        --hashes) hashes="$2"; shift 2 ;;
        --large-hashes) large_hashes="$2"; shift 2 ;;
        --cli-rows) cli_rows="$2"; shift 2 ;;
        --client) client="$2"; shift 2 ;;
        --smoke) smoke=1; shift ;;
        --build) build="$2"; shift 2 ;;
        --auth-only) auth_only=1; shift ;;
        --no-fresh) fresh=0; shift ;;
        --pg-compose) pg_compose=1; shift ;;
        --mysql-private) mysql_private=1; shift ;;
        --peers) peers=1; shift ;;
        -h|--help) sed -n '2,50p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
case "$backend" in sqlite|postgres|mysql) ;; *) echo "unknown backend $backend" >&2; exit 2 ;; esac
case "$build" in dev|release) ;; *) echo "unknown build profile $build" >&2; exit 2 ;; esac
if [ "$smoke" = 1 ]; then
    build=dev
    duration=1; warmup=0; limit_duration=0.5
    hashes=2000; large_hashes=4000; cli_rows=2000; cost_requests=20
fi

cd "$(dirname "$0")/.."
root="$(pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
if [ "$build" = dev ]; then
    bin=$(scripts/build.sh)
else
    bin=$(scripts/build.sh --release)
fi
bench_data="$target_dir/bench-data"
mkdir -p "$bench_data"

work="$(mktemp -d)"
results="$work/results.jsonl"
pids=()
databases=()
pg_server="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
my_server="${BENCH_MYSQL_URL:-mysql://root@127.0.0.1:3306}"

stop_pid() {
    local pid="$1"
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}
drop_database() {
    case "$backend" in
        postgres) psql "$pg_server/postgres" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1 || true ;;
        mysql) mysql_cmd -e "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1 || true ;;
        sqlite) ;;
    esac
}
mysql_cmd() {
    # mysql://user[:password]@host:port
    local rest="${my_server#mysql://}" creds host user pass
    creds="${rest%@*}"; host="${rest#*@}"
    user="${creds%%:*}"; pass=""; [ "$creds" != "$user" ] && pass="${creds#*:}"
    MYSQL_PWD="$pass" mysql --protocol=TCP -h "${host%:*}" -P "${host##*:}" -u "$user" "$@"
}
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    for db in "${databases[@]}"; do drop_database "$db"; done
    if [ -n "$pg_private" ]; then
        as_nobody "$pg_private/pg_ctl" -w -m immediate -D "$pg_dir/data" stop >/dev/null 2>&1 || true
    fi
    [ -n "$pg_dir" ] && rm -rf "$pg_dir"
    [ -n "$my_pid" ] && stop_pid "$my_pid"
    [ -n "$my_dir" ] && rm -rf "$my_dir"
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh database for role $1; sets db_url (not a command substitution,
# so that the cleanup list survives).
suffix="$(date +%s)_$$"
new_database() {
    local name="idmap_bench_${1}_${suffix}"
    case "$backend" in
        sqlite) db_url="sqlite://$work/$name.db" ;;
        postgres)
            databases+=("$name")
            psql "$pg_server/postgres" -qc "CREATE DATABASE $name" >/dev/null
            db_url="$pg_server/$name" ;;
        mysql)
            databases+=("$name")
            mysql_cmd -e "CREATE DATABASE $name CHARACTER SET utf8mb4"
            db_url="$my_server/$name" ;;
    esac
}
pg_has_database() {
    [ "$(psql "$pg_server/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]
}
# shellcheck source=scripts/lib/local-services.sh
. scripts/lib/local-services.sh

# A private PostgreSQL server with initdb's defaults (see --pg-compose).
if [ "$pg_compose" = 1 ]; then
    [ "$backend" = postgres ] || { echo "--pg-compose needs --backend postgres" >&2; exit 2; }
    pg_bin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
    pg_dir="$(mktemp -d)"
    if [ "$(id -u)" = 0 ]; then chown nobody:nogroup "$pg_dir"; fi
    as_nobody "$pg_bin/initdb" -U postgres --auth=trust -E UTF8 -D "$pg_dir/data" >/dev/null
    pg_port="$(free_port)"
    as_nobody "$pg_bin/pg_ctl" -w -t 60 -D "$pg_dir/data" -l "$pg_dir/log" \
        -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1" start >/dev/null
    pg_private="$pg_bin"
    pg_server="postgres://postgres@127.0.0.1:$pg_port"
    echo "postgres: private server $("$pg_bin/postgres" --version) on port $pg_port, initdb defaults" >&2
fi

# A private MariaDB server (see --mysql-private): the compiled-in defaults
# the mariadb image keeps (128 MB buffer pool, a flush per commit, no binary
# log), the character set of its packaged configuration and its
# skip-name-resolve, plus performance_schema for the statement costs.
if [ "$mysql_private" = 1 ]; then
    [ "$backend" = mysql ] || { echo "--mysql-private needs --backend mysql" >&2; exit 2; }
    my_dir="$(mktemp -d)"
    if [ "$(id -u)" = 0 ]; then chown nobody:nogroup "$my_dir"; fi
    as_nobody timeout 120 mariadb-install-db --no-defaults --datadir="$my_dir/data" \
        --auth-root-authentication-method=normal --skip-test-db > "$my_dir/install.log" 2>&1
    my_port="$(free_port)"
    mariadbd=(--no-defaults --datadir="$my_dir/data" --port="$my_port" --bind-address=127.0.0.1
        --socket="$my_dir/mysqld.sock" --pid-file="$my_dir/mysqld.pid"
        --log-error="$my_dir/error.log" --character-set-server=utf8mb4
        --collation-server=utf8mb4_general_ci --skip-name-resolve --host-cache-size=0
        --performance-schema=ON)
    # Started directly (setpriv execs it), so that $! is the server itself.
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- mariadbd "${mariadbd[@]}" &
    else
        mariadbd "${mariadbd[@]}" &
    fi
    my_pid=$!
    my_server="mysql://root@127.0.0.1:$my_port"
    for _ in $(seq 600); do mysql_cmd -e "SELECT 1" >/dev/null 2>&1 && break; sleep 0.1; done
    mysql_cmd -e "SELECT 1" >/dev/null || { cat "$my_dir/error.log" >&2; exit 1; }
    echo "mysql: private server $(mysql_cmd -NBe "SELECT VERSION()") on port $my_port, performance_schema on" >&2
fi

# --- auth-server --------------------------------------------------------
auth_port="$(free_port)"
auth_url="http://127.0.0.1:$auth_port"
new_database auth
auth_db="$db_url"
export AUTH_LISTEN="127.0.0.1:$auth_port" AUTH_ISSUER="$auth_url"
export AUTH_DATABASE_URL="$auth_db" AUTH_SIGNING_KEY_DIR="$work/keys"
export AUTH_SIGNING_ALG="$alg" AUTH_RATE_LIMIT_ENABLED=false
export RUST_LOG=warn
"$bin/auth-server" serve > "$work/auth.log" 2>&1 &
auth_pid=$!
pids+=("$auth_pid")
wait_http "$auth_url/.well-known/oauth-authorization-server"
"$bin/auth-server" admin partner add BENCH --name "Benchmark partner" > /dev/null
partner_json="$("$bin/auth-server" admin client add --partner BENCH --scope idmap:link)"
reader_json="$("$bin/auth-server" admin client add --scope idmap:read)"
client_id="$(printf '%s' "$partner_json" | json_field client_id)"
reader_id="$(printf '%s' "$reader_json" | json_field client_id)"
IDMAP_BENCH_CLIENT_SECRET="$(printf '%s' "$partner_json" | json_field client_secret)"
IDMAP_BENCH_READER_SECRET="$(printf '%s' "$reader_json" | json_field client_secret)"
export IDMAP_BENCH_CLIENT_SECRET IDMAP_BENCH_READER_SECRET

# What every run shares; `ours` adds auth-server, `common` the timing.
base=("--client-id=$client_id" "--reader-id=$reader_id" --concurrency "$concurrency"
    --client "$client" --out "$results")
ours=("${base[@]}" --auth-url "$auth_url" --pid "auth=$auth_pid")
timing=(--duration "$duration" --warmup "$warmup")
common=("${ours[@]}" "${timing[@]}")
bounded() { timeout --signal=TERM 7200 "$@"; }
label() { awk -v n="$1" 'BEGIN { if (n >= 1e6 && n % 1e6 == 0) printf "%dM", n / 1e6; else if (n >= 1e3 && n % 1e3 == 0) printf "%dk", n / 1e3; else printf "%d", n }'; }

echo "== auth-server scenarios ($backend, $alg)" >&2
system=()
[ "$peers" = 1 ] && system=(--system "auth-server ($backend)")
bounded "$bin/idmap-bench" run "${common[@]}" --idmap-url "$auth_url" "${system[@]}" \
    --scenarios token,introspect

# --- oidc-provider beside it (--peers) ----------------------------------
# Its own copy of the generator's partner client; `resource` makes it sign
# JWT access tokens with $alg (without one it issues opaque tokens, which
# the introspection scenario then introspects).
peer_dir="$target_dir/bench-peers"
peer_resource="urn:idmap"
if [ "$peers" = 1 ]; then
    node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
    [ "$node_major" -ge 20 ] || { echo "--peers needs Node.js 20 or newer and npm" >&2; exit 2; }
    mkdir -p "$peer_dir"
    cp scripts/bench-peers/package.json scripts/bench-peers/package-lock.json \
        scripts/bench-peers/*.mjs "$peer_dir/"
    if ! cmp -s "$peer_dir/package-lock.json" "$peer_dir/node_modules/.bench-lock"; then
        (cd "$peer_dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2)
        cp "$peer_dir/package-lock.json" "$peer_dir/node_modules/.bench-lock"
    fi
    peer_port="$(free_port)"
    peer_url="http://127.0.0.1:$peer_port"
    PEER_PORT="$peer_port" PEER_ALG="$alg" PEER_WORKERS=2 PEER_CLIENT_ID="$client_id" \
        PEER_CLIENT_SECRET="$IDMAP_BENCH_CLIENT_SECRET" PEER_RESOURCE="$peer_resource" \
        PEER_READY_FILE="$work/peer.ready" NODE_ENV=production node "$peer_dir/oidc-provider.mjs" \
        > "$work/peer.log" 2>&1 &
    peer_pids=("$!")
    pids+=("$!")
    for _ in $(seq 300); do [ -s "$work/peer.ready" ] && break; sleep 0.1; done
    [ -s "$work/peer.ready" ] || { echo "oidc-provider did not start:" >&2; cat "$work/peer.log" >&2; exit 1; }
    read -ra workers < "$work/peer.ready"
    peer_pids+=("${workers[@]}")
    pids+=("${workers[@]}")
    peer_watch=()
    for pid in "${peer_pids[@]}"; do peer_watch+=(--pid "auth=$pid"); done
    peer_name="oidc-provider $(node -p 'require(process.argv[1]).version' \
        "$peer_dir/node_modules/oidc-provider/package.json")"
    echo "== $peer_name scenarios ($alg, ${#workers[@]} workers)" >&2
    bounded "$bin/idmap-bench" run "${base[@]}" "${timing[@]}" --auth-url "$peer_url" \
        --idmap-url "$peer_url" "${peer_watch[@]}" --system "$peer_name" \
        --resource "$peer_resource" --scenarios token,introspect
    for pid in "${peer_pids[@]}"; do stop_pid "$pid"; done
fi

# --- idmap-server on a preloaded registry -------------------------------
# Starts idmap-server on a fresh database preloaded with $1 hashes; sets
# idmap_pid, idmap_url and idmap_db.
start_idmap() {
    local template="idmap_bench_tpl_${1}_seed1_v2"
    if [ "$backend" = postgres ] && [ "$smoke" = 0 ] && pg_has_database "$template"; then
        # A registry preloaded by an earlier run, kept as a template.
        local name="idmap_bench_idmap_$1_${suffix}"
        databases+=("$name")
        psql "$pg_server/postgres" -qc "CREATE DATABASE $name TEMPLATE $template" >/dev/null
        idmap_db="$pg_server/$name"
        echo "preload: copied template database $template" >&2
    else
        new_database "idmap_$1"
        idmap_db="$db_url"
        bounded "$bin/idmap-bench" preload --database-url "$idmap_db" --hashes "$1" \
            --cache-dir "$bench_data"
        if [ "$backend" = postgres ] && [ "$smoke" = 0 ]; then
            psql "$pg_server/postgres" -qc \
                "CREATE DATABASE $template TEMPLATE ${idmap_db##*/}" >/dev/null
            echo "preload: kept as template database $template (drop it to rebuild)" >&2
        fi
    fi
    serve_idmap "$1"
}
# Starts idmap-server on $idmap_db (it migrates it); $1 names its log.
serve_idmap() {
    local port; port="$(free_port)"
    idmap_url="http://127.0.0.1:$port"
    IDMAP_LISTEN="127.0.0.1:$port" IDMAP_DATABASE_URL="$idmap_db" IDMAP_ISSUER="$auth_url" \
        "$bin/idmap-server" serve > "$work/idmap-$1.log" 2>&1 &
    idmap_pid=$!
    pids+=("$idmap_pid")
    wait_http "$idmap_url/health/ready"
}

if [ "$auth_only" = 1 ]; then
    hashes=0; large_hashes=0; fresh=0
fi
if [ "$hashes" -gt 0 ]; then
echo "== idmap-server scenarios at $(label "$hashes") stored hashes" >&2
start_idmap "$hashes"
bounded "$bin/idmap-bench" run "${common[@]}" --idmap-url "$idmap_url" --pid "idmap=$idmap_pid" \
    --preloaded-hashes "$hashes" --registry-label "$(label "$hashes")" \
    --scenarios link1,link100,link1000,save100,lookup1000,cli \
    --cli-bin "$bin/idmap" --cli-rows "$cli_rows" --work-dir "$work/cli"
echo "== companions: bare database operations" >&2
IDMAP_BENCH_DATABASE_URL="$idmap_db" bounded "$bin/idmap-bench" limits \
    --preloaded-hashes "$hashes" --concurrency "$concurrency" \
    --duration "$limit_duration" --out "$results"
stop_pid "$idmap_pid"
fi

if [ "$fresh" = 1 ]; then
    # What a deployment meets first: an empty registry that every request
    # grows, all patients new, x1 then x100 then x1000 on the same database.
    echo "== scenario 9 on a fresh registry" >&2
    new_database idmap_fresh
    idmap_db="$db_url"
    serve_idmap fresh
    bounded "$bin/idmap-bench" run "${common[@]}" --idmap-url "$idmap_url" --pid "idmap=$idmap_pid" \
        --preloaded-hashes 0 --registry-label fresh --fresh --scenarios link1,link100,link1000
    stop_pid "$idmap_pid"
fi

if [ "$mysql_private" = 1 ] && [ "$auth_only" = 0 ]; then
    # Statement costs of link x100 all new, counted from after idmap-server's
    # migrations. idmap-server prepares every statement, and MariaDB counts
    # prepared executions per kind (statement/com/Execute) only, without a
    # digest or (prepared_statements_instances) an execution count; the
    # digests cover the statements sent as text.
    echo "== statement costs: link x100 on a fresh registry ($cost_requests requests)" >&2
    new_database idmap_costs
    idmap_db="$db_url"
    serve_idmap costs
    mysql_cmd -e "TRUNCATE performance_schema.events_statements_summary_by_digest;
        TRUNCATE performance_schema.events_statements_summary_global_by_event_name"
    status_query="SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_stmt_prepare',
        'Com_stmt_execute', 'Com_stmt_close', 'Com_begin', 'Com_commit', 'Handler_write',
        'Innodb_os_log_written')"
    mysql_cmd -NBe "$status_query" > "$work/status.before"
    bounded "$bin/idmap-bench" run "${ours[@]}" --idmap-url "$idmap_url" --pid "idmap=$idmap_pid" \
        --duration 600 --warmup 0 --max-requests "$cost_requests" --preloaded-hashes 0 \
        --registry-label "fresh, statement costs" --fresh --scenarios link100
    mysql_cmd -NBe "$status_query" > "$work/status.after"
    done_requests="$(tail -1 "$results" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p')"
    mysql_cmd -t > "$work/costs.txt" <<SQL
SELECT EVENT_NAME AS kind, COUNT_STAR AS calls, ROUND(COUNT_STAR / $done_requests, 2) AS per_request,
       ROUND(SUM_TIMER_WAIT / 1e9, 1) AS total_ms, ROUND(AVG_TIMER_WAIT / 1e6, 1) AS avg_us,
       SUM_ROWS_AFFECTED AS rows_affected, SUM_ROWS_EXAMINED AS rows_examined
FROM performance_schema.events_statements_summary_global_by_event_name
WHERE COUNT_STAR > 0 ORDER BY SUM_TIMER_WAIT DESC;
SELECT COUNT_STAR AS calls, ROUND(COUNT_STAR / $done_requests, 2) AS per_request,
       ROUND(SUM_TIMER_WAIT / 1e9, 1) AS total_ms, LEFT(DIGEST_TEXT, 90) AS text_statement
FROM performance_schema.events_statements_summary_by_digest
WHERE SCHEMA_NAME = '${idmap_db##*/}' ORDER BY SUM_TIMER_WAIT DESC LIMIT 10;
SQL
    stop_pid "$idmap_pid"
    # The server's counters over the same requests (the whole server: the
    # idle auth-server adds nothing measurable).
    awk -v n="$done_requests" 'BEGIN { if (n < 1) n = 1 }
        NR == FNR { before[$1] = $2; next }
        FNR == 1 { printf "%-24s %14s %12s %12s\n", "server status", "delta", "per request", "per patient" }
        { d = $2 - before[$1]; printf "%-24s %14d %12.1f %12.2f\n", $1, d, d / n, d / n / 100 }' \
        "$work/status.before" "$work/status.after" >> "$work/costs.txt"
fi

if [ "$large_hashes" -gt 0 ]; then
    echo "== scenario 8 at $(label "$large_hashes") stored hashes" >&2
    start_idmap "$large_hashes"
    bounded "$bin/idmap-bench" run "${common[@]}" --idmap-url "$idmap_url" --pid "idmap=$idmap_pid" \
        --preloaded-hashes "$large_hashes" --registry-label "$(label "$large_hashes")" \
        --large --scenarios link100,link1000
    stop_pid "$idmap_pid"
fi

echo "== companions: JWT signing and verification" >&2
bounded "$bin/idmap-bench" limits --key-dir "$work/keys" --issuer "$auth_url" \
    --jwks-url "$auth_url/oauth/jwks.json" --duration "$limit_duration" --out "$results"
if [ "$peers" = 1 ]; then
    echo "== companions: the peer's signing primitive" >&2
    timeout 300 node "$peer_dir/sign.mjs" "$alg" "$limit_duration" >> "$results"
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
kind="$([ "$smoke" = 1 ] && echo smoke || echo "$build")"
cp "$results" "$bench_data/results-$backend-$kind-$stamp.jsonl"
echo
echo "idmap benchmark ($kind, backend $backend, $alg, concurrency $concurrency, ${duration}s per scenario, $(nproc) cores)"
[ "$smoke" = 1 ] && echo "SMOKE RUN: dev profile and tiny sizes; these figures are not results."
"$bin/idmap-bench" report "$results"
if [ -s "$work/costs.txt" ]; then
    echo
    echo "MariaDB statements of link x100 on a fresh registry, $done_requests requests (performance_schema)"
    cat "$work/costs.txt"
fi
echo
echo "results kept in $bench_data/results-$backend-$kind-$stamp.jsonl"
