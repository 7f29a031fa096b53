#!/usr/bin/env bash
# The Docker Compose deployment, run for real as docs/operator-guide.md
# tells an operator to run it, and driven only through nginx's published
# HTTPS port:
#   1. its own dockerd (own data root, socket and bridge; stopped by PID on
#      exit, whatever happens) and local stand-ins under the exact names of
#      the official images docker-compose.yml and docker/Dockerfile use,
#      built from Debian's packages (tests/compose/standins/Dockerfile),
#      since no image registry is reachable here;
#   2. the guide's first start on PostgreSQL: docker/init-secrets.sh, .env
#      from docker/env.example, `docker-compose up -d --build`, healthy,
#      scripts/bootstrap-partner.sh;
#   3. through nginx with the development CA: tokens from authlib, link,
#      /api/save, lookup, a JWT verified by PyJWT from the JWKS, 413, 429,
#      HTTP redirected, a password reset mailed through SMTP, the user
#      center in headless Chromium with its stylesheet;
#   4. scaled out (auth-server=2, idmap-server=3): 32 concurrent clients
#      with overlapping new patients (every hash one UUID, no 5xx), a
#      routine signing-key rotation, one idmap-server replica killed under
#      load while the clients retry as the CLI does;
#   5. upgrade: rebuilt images recreate the containers on the same volumes;
#   6. backup with the guide's commands, restored into fresh volumes;
#   7. steps 2, 3 and 6 again on MariaDB (docker/mysql.env);
#   8. `docker-compose down -v`, dockerd stopped, nothing left running.
# Prints pass/fail counts and durations per step, and the figures measured
# (time to healthy, throughput and retries under load).
#
#   scripts/compose-e2e.sh              the whole run
#   scripts/compose-e2e.sh --tools      only install what it needs, then exit
#   scripts/compose-e2e.sh --prepare    only step 1 and the images' first
#                                       build, into COMPOSE_E2E_DIR, so that a
#                                       later full run there finds them built
#                                       (CI starts it early, in the background)
#
# Environment:
#   COMPOSE_E2E_DIR         keep the Docker data root (images, BuildKit cache)
#                           in this directory and reuse it on the next run;
#                           default: a temporary directory, removed at exit
#   COMPOSE_E2E_HTTPS_PORT  loopback port nginx publishes for HTTPS, and
#   COMPOSE_E2E_HTTP_PORT   for HTTP (default: free ports)
#   COMPOSE_E2E_BRIDGE      bridge of the daemon's default network (idmape2e0)
#   COMPOSE_E2E_NET         first two octets of its networks (10.213); set
#                           both to run two of these at once
#   COMPOSE_E2E_PROFILE     Cargo profile of the images (DEPLOY_CARGO_PROFILE):
#                           image-check (default; compiles faster) or
#                           release, as operators build them
# Installs what it needs from Debian's packages (docker.io, docker-compose,
# debootstrap, chromium) and PyPI (the interop test's client libraries).
# Needs root: it runs dockerd.
# shellcheck disable=SC2015,SC2016 # pass never fails, so "A && pass || fail" is if-then-else; single-quoted commands run in the containers
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PROJECT=idmape2e
BRIDGE=${COMPOSE_E2E_BRIDGE:-idmape2e0}
NET=${COMPOSE_E2E_NET:-10.213}
BRIDGE_ADDR=$NET.255.1/24
ADDRESS_POOL=$NET.0.0/17

log() { printf '[compose-e2e] %s\n' "$*" >&2; }

PROFILE=${COMPOSE_E2E_PROFILE:-image-check}

MODE=run
case "${1:-}" in
  --tools) MODE=tools ;;
  --prepare) MODE=prepare ;;
  "") ;;
  *) echo "usage: scripts/compose-e2e.sh [--tools|--prepare]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "compose-e2e: must run as root (it starts its own dockerd)" >&2
  exit 1
fi

# ---- bookkeeping: checks and timings per step -----------------------------

STEPS=()
declare -A PASSED=() FAILED=() SECONDS_TAKEN=()
STEP=""
STEP_START=0

begin_step() {
  end_step
  STEP=$1
  STEPS+=("$STEP")
  PASSED[$STEP]=0
  FAILED[$STEP]=0
  STEP_START=$SECONDS
  printf '\n== %s\n' "$STEP"
}

end_step() {
  [ -n "$STEP" ] || return 0
  SECONDS_TAKEN[$STEP]=$((SECONDS - STEP_START))
  STEP=""
}

pass() {
  echo "ok    $1"
  PASSED[$STEP]=$((PASSED[$STEP] + 1))
}

fail() {
  echo "FAIL  $1"
  FAILED[$STEP]=$((FAILED[$STEP] + 1))
}

# check NAME COMMAND...: one check from a command's exit status.
check() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

figure() {
  echo "figure $1: $2"
  printf '%s: %s\n' "$1" "$2" >>"$WORK/figures"
}

# tallied COMMAND...: runs a client that prints `ok`/`FAIL`/`figure` lines
# and counts them for the current step.
tallied() {
  local out=$WORK/client.out rc=0
  set +e
  "$@" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  set -e
  local p f
  p=$(grep -c '^ok ' "$out" || true)
  f=$(grep -c '^FAIL ' "$out" || true)
  PASSED[$STEP]=$((PASSED[$STEP] + p))
  FAILED[$STEP]=$((FAILED[$STEP] + f))
  sed -n 's/^figure //p' "$out" >>"$WORK/figures"
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    fail "$(basename "$1") exited with status $rc"
  fi
  return 0
}

summary() {
  local total_p=0 total_f=0 s
  printf '\n== summary\n'
  printf '%-52s %6s %6s %8s\n' step passed failed seconds
  for s in "${STEPS[@]}"; do
    printf '%-52s %6d %6d %8s\n' "$s" "${PASSED[$s]}" "${FAILED[$s]}" "${SECONDS_TAKEN[$s]:-?}"
    total_p=$((total_p + PASSED[$s]))
    total_f=$((total_f + FAILED[$s]))
  done
  printf '%-52s %6s %6s %8d\n' "all" "" "" "$SECONDS"
  if [ -s "$WORK/figures" ]; then
    printf '\nfigures:\n'
    sed 's/^/  /' "$WORK/figures"
  fi
  echo
  echo "compose-e2e: $total_p passed, $total_f failed"
  [ "$total_f" -eq 0 ]
}

# ---- work directory, tools -------------------------------------------------

KEEP=false
if [ "$MODE" = prepare ] && [ -z "${COMPOSE_E2E_DIR:-}" ]; then
  echo "compose-e2e: --prepare needs COMPOSE_E2E_DIR (the data root the full run reuses)" >&2
  exit 2
fi
if [ -n "${COMPOSE_E2E_DIR:-}" ]; then
  KEEP=true
  mkdir -p "$COMPOSE_E2E_DIR"
  WORK=$(cd "$COMPOSE_E2E_DIR" && pwd)
else
  WORK=$(mktemp -d /var/tmp/idmap-compose-e2e.XXXXXX)
fi
: >"$WORK/figures"
SOCK=$WORK/docker.sock
export DOCKER_HOST=unix://$SOCK DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1
# docker-compose builds with the `docker` on the PATH: Debian's client, which
# has BuildKit built in (another client may want a buildx plugin).
mkdir -p "$WORK/bin"
ln -sfn /usr/bin/docker "$WORK/bin/docker"
export PATH="$WORK/bin:$PATH:/usr/sbin:/sbin"
DOCKER=/usr/bin/docker
APP=$WORK/app
VENV=${CARGO_TARGET_DIR:-$ROOT/target}/compose-e2e-venv
PY=$VENV/bin/python
E2E=$ROOT/tests/compose/e2e.py

install_tools() {
  local missing=() p
  for p in docker.io docker-compose debootstrap iproute2 iptables chromium python3-venv; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ! [ -x "$PY" ] || ! "$PY" -c 'import authlib, jwt, requests' 2>/dev/null; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check \
      -r "$ROOT/crates/auth-server/tests/interop/requirements.txt"
  fi
  if ! [ -d "$ROOT/tests/browser/node_modules/playwright-core" ]; then
    (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# ---- dockerd ---------------------------------------------------------------

DOCKERD_PID=""

start_dockerd() {
  # An own bridge for the default network (builds run on it), so this
  # daemon never touches docker0 of another one.
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_ADDR" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  mkdir -p "$WORK/docker" "$WORK/exec"
  dockerd --data-root "$WORK/docker" --exec-root "$WORK/exec" \
    --pidfile "$WORK/dockerd.pid" --host "$DOCKER_HOST" \
    --bridge "$BRIDGE" --default-address-pool "base=$ADDRESS_POOL,size=24" \
    >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  local _
  for _ in $(seq 1 60); do
    "$DOCKER" version >/dev/null 2>&1 && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 1
  done
  tail -20 "$WORK/dockerd.log" >&2
  return 1
}

stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  if kill -0 "$DOCKERD_PID" 2>/dev/null; then
    # dockerd stops its containers and its containerd before it exits.
    kill -TERM "$DOCKERD_PID"
    local _
    for _ in $(seq 1 60); do
      kill -0 "$DOCKERD_PID" 2>/dev/null || break
      sleep 1
    done
    if kill -0 "$DOCKERD_PID" 2>/dev/null; then
      log "dockerd did not stop in 60 s; killing it"
      kill -KILL "$DOCKERD_PID"
    fi
  fi
  wait "$DOCKERD_PID" 2>/dev/null || true
  DOCKERD_PID=""
}

compose() { (cd "$APP" && docker-compose -p "$PROJECT" "$@"); }

cleanup() {
  local status=$?
  set +e
  end_step
  if [ -n "$DOCKERD_PID" ] && [ -d "$APP" ]; then
    compose down -v --remove-orphans >/dev/null 2>&1
  fi
  stop_dockerd
  ip link del "$BRIDGE" 2>/dev/null
  # Whatever our dockerd started runs under our exec root; nothing may stay.
  local left
  left=$(pgrep -f -- "$WORK/exec" || true)
  if [ -n "$left" ]; then
    log "processes left under $WORK/exec, stopping them: $left"
    # shellcheck disable=SC2086 # one PID per word
    kill -KILL $left 2>/dev/null
  fi
  if [ ${#STEPS[@]} -gt 0 ]; then
    summary || status=1
  fi
  if ! $KEEP; then
    grep -F " $WORK/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r umount -l 2>/dev/null
    rm -rf "$WORK"
  else
    rm -rf "$APP"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- stand-ins ---------------------------------------------------------------

# The Debian mirror of this machine's apt sources (debootstrap needs one).
debian_mirror() {
  local m
  m=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
    grep -oE 'https?://[^ ]+/debian/?( |$)' | head -1 | tr -d ' ')
  echo "${m:-http://deb.debian.org/debian}"
}

build_standins() {
  if ! "$DOCKER" image inspect idmap-e2e/base:bookworm >/dev/null 2>&1; then
    local rootfs=$WORK/rootfs mirror
    mirror=$(debian_mirror)
    log "debootstrap bookworm from $mirror"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
      { tail -20 "$WORK/debootstrap.log" >&2; return 1; }
    tar -C "$rootfs" -c . | "$DOCKER" import - idmap-e2e/base:bookworm >/dev/null
    rm -rf "$rootfs"
  fi

  local ctx=$WORK/standins sysroot toolchain d mirror
  mirror=$(debian_mirror)
  rm -rf "$ctx"
  mkdir -p "$ctx/ca" "$ctx/toolchain"
  cp "$ROOT"/tests/compose/standins/* "$ctx/"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
  sysroot=$(rustc --print sysroot)
  toolchain="$(rustc -vV | sed -n 's/^release: //p')-$(rustc -vV | sed -n 's/^host: //p')"
  for d in bin lib libexec etc; do
    [ -d "$sysroot/$d" ] || continue
    cp -al "$sysroot/$d" "$ctx/toolchain/" 2>/dev/null || cp -a "$sysroot/$d" "$ctx/toolchain/"
  done
  local target name
  for target in slim:debian:12.11-slim rust:rust:1.95.0-bookworm postgres:postgres:16-bookworm \
    mariadb:mariadb:10.11 nginx:nginx:1.28-bookworm mailsink:idmap-e2e/mailsink:bookworm; do
    name=${target#*:}
    target=${target%%:*}
    log "stand-in $name"
    "$DOCKER" build -q --target "$target" --build-arg "TOOLCHAIN=$toolchain" \
      --build-arg "MIRROR=${mirror%/}" -t "$name" "$ctx" >/dev/null ||
      { rm -rf "$ctx"; return 1; }
  done
  rm -rf "$ctx"
}

# ---- helpers on the deployment -------------------------------------------------

# Waits until every container of the project is healthy (or running, when it
# has no health check); prints the seconds waited.
wait_healthy() {
  local limit=$1 start=$SECONDS states
  while :; do
    states=$(compose ps -q | xargs -r "$DOCKER" inspect -f \
      '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}')
    # The relay has no health check; every other container must be healthy.
    if [ -n "$states" ] && ! awk '!($2 == "healthy" || ($2 == "running" && $1 ~ /_mail_/))' <<<"$states" | grep -q .; then
      echo $((SECONDS - start))
      return 0
    fi
    if ((SECONDS - start > limit)); then
      printf '%s\n' "$states" >&2
      compose logs --no-color --tail=30 >&2
      return 1
    fi
    sleep 2
  done
}

container_ids() { compose ps -q "$1" | sort; }

admin() { compose exec -T auth-server with-secrets auth-server admin "$@"; }

# bootstrap CODE NAME FILE [options]: a client for a partner, saved as JSON
# with the partner's code.
bootstrap() {
  local code=$1 name=$2 file=$3 json
  shift 3
  json=$(cd "$APP" && COMPOSE="docker-compose -p $PROJECT" scripts/bootstrap-partner.sh "$@" "$code" "$name") ||
    return 1
  "$PY" -c 'import json,sys; c=json.loads(sys.argv[1]); c["partner"]=sys.argv[2]; print(json.dumps(c))' \
    "$json" "$code" >"$file"
}

client_args() { echo --base "$BASE" --ca "$APP/secrets/tls/ca.pem"; }

# Through nginx, as the partners and users meet the deployment.
through_nginx() {
  local label=$1 tag=$2
  # shellcheck disable=SC2046 # the words are options
  tallied "$PY" "$E2E" basic $(client_args) --http-base "$HTTP_BASE" --tag "$tag" \
    --client "$WORK/hosp1.json" --client2 "$WORK/hosp2.json" --reader "$WORK/reader.json" \
    --record "$WORK/record-$label.json"

  local email password
  email="ops-$label@example.org"
  password="e2e-$(head -c 12 /dev/urandom | base64 | tr '+/' '-_')"
  if printf '%s\n' "$password" | admin user add --email "$email" --verified >/dev/null; then
    pass "admin user add (the user center's first account)"
  else
    fail "admin user add"
  fi
  # shellcheck disable=SC2046
  tallied "$PY" "$E2E" mail $(client_args) --email "$email" --email-token "$email" \
    --mail-log "cd '$APP' && docker-compose -p $PROJECT logs --no-color mail"
  local spki
  spki=$(openssl x509 -in "$APP/secrets/tls/fullchain.pem" -pubkey -noout |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
  tallied env BASE_URL="$BASE" SPKI="$spki" EMAIL="$email" PASSWORD="$password" \
    SCREENSHOT="$WORK/user-center-$label.png" node "$ROOT/tests/browser/through-nginx.mjs"
}

# up_to_healthy LABEL: the guide's `up -d --build`, timed until healthy.
up_to_healthy() {
  local label=$1 start=$SECONDS waited
  compose up -d --build >"$WORK/up-$label.log" 2>&1 || { tail -30 "$WORK/up-$label.log"; return 1; }
  pass "docker-compose up -d --build"
  waited=$(wait_healthy 600) || { fail "every service healthy within 10 min"; return 1; }
  pass "every service healthy"
  figure "$label: up -d --build to healthy (s)" $((SECONDS - start))
  figure "$label: containers started to healthy (s)" "$waited"
}

first_partners() {
  bootstrap HOSP1 "Hospital One" "$WORK/hosp1.json" && pass "bootstrap-partner.sh HOSP1" || fail "bootstrap-partner.sh HOSP1"
  bootstrap HOSP2 "Hospital Two" "$WORK/hosp2.json" && pass "bootstrap-partner.sh HOSP2" || fail "bootstrap-partner.sh HOSP2"
  bootstrap HOSP1 "Hospital One" "$WORK/reader.json" --scope "idmap:read" --client-name "lookups" &&
    pass "bootstrap-partner.sh: a second client (idmap:read) for HOSP1" || fail "bootstrap-partner.sh: a second client"
}

# replica_hits: {container: 200 answers of /api/v1/link} from each
# idmap-server replica's own /metrics (read inside the container).
write_replica_hits() {
  cat >"$WORK/replica-hits.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
cd '$APP'
echo -n '{'
sep=''
for id in \$(docker-compose -p $PROJECT ps -q idmap-server); do
  n=\$(docker exec "\$id" curl -fsS http://127.0.0.1:8082/metrics |
    awk '/^http_requests_total\{/ && /method="POST"/ && /route="\/api\/v1\/link"/ && /status="200"/ {s += \$2} END {print s + 0}')
  printf '%s"%s": %s' "\$sep" "\${id:0:12}" "\$n"
  sep=', '
done
echo '}'
EOF
  chmod +x "$WORK/replica-hits.sh"
}

# ---- the steps ---------------------------------------------------------------------

step_engine() {
  begin_step "1 dockerd and stand-in images"
  install_tools
  start_dockerd || { fail "dockerd starts"; return 1; }
  pass "dockerd $("$DOCKER" version -f '{{.Server.Version}}') on $SOCK (pid $DOCKERD_PID)"
  local start=$SECONDS
  build_standins || { fail "stand-in images"; return 1; }
  pass "stand-ins: debian:12.11-slim rust:1.95.0-bookworm postgres:16-bookworm mariadb:10.11 nginx:1.28-bookworm"
  figure "stand-in images built (s)" $((SECONDS - start))
}

# The checkout as an operator's clone has it: tracked and new files, no
# build output.
copy_app() {
  rm -rf "$APP"
  mkdir -p "$APP"
  (cd "$ROOT" && git ls-files -co --exclude-standard -z) | (cd "$ROOT" && tar --null -T - -cf -) | tar -C "$APP" -xf -
}

# The images' first build, ahead of the run that times `up -d --build`:
# BuildKit keys its cache on the files' contents, so the full run's build
# of the same checkout finds every layer and the compiled target cache.
step_prebuild() {
  begin_step "1b images built ahead (--prepare)"
  copy_app
  local start=$SECONDS
  if (cd "$APP" && docker/init-secrets.sh >/dev/null && cp docker/env.example .env &&
    sed -i "s|^DEPLOY_CARGO_PROFILE=.*|DEPLOY_CARGO_PROFILE=$PROFILE|" .env &&
    docker-compose -p "$PROJECT" build) >"$WORK/prebuild.log" 2>&1; then
    pass "docker-compose build"
  else
    tail -30 "$WORK/prebuild.log"
    fail "docker-compose build"
  fi
  figure "images built ahead (s)" $((SECONDS - start))
}

step_first_start() {
  begin_step "2 first start on PostgreSQL (operator guide)"
  copy_app
  (cd "$APP" && docker/init-secrets.sh) && pass "docker/init-secrets.sh" || fail "docker/init-secrets.sh"
  # The guide's settings: .env from env.example, the public URL, ports on
  # loopback, the SMTP relay's URL in its secret file.
  local https_port=${COMPOSE_E2E_HTTPS_PORT:-$(free_port)} http_port=${COMPOSE_E2E_HTTP_PORT:-$(free_port)}
  BASE=https://localhost:$https_port
  HTTP_BASE=http://localhost:$http_port
  cp "$APP/docker/env.example" "$APP/.env"
  sed -i -e "s|^DEPLOY_PUBLIC_URL=.*|DEPLOY_PUBLIC_URL=$BASE|" \
    -e "s|^DEPLOY_HTTPS_PORT=.*|DEPLOY_HTTPS_PORT=127.0.0.1:$https_port|" \
    -e "s|^DEPLOY_HTTP_PORT=.*|DEPLOY_HTTP_PORT=127.0.0.1:$http_port|" \
    -e "s|^DEPLOY_MAIL_FROM=.*|DEPLOY_MAIL_FROM=idmap <noreply@idmap.test>|" \
    -e "s|^DEPLOY_CARGO_PROFILE=.*|DEPLOY_CARGO_PROFILE=$PROFILE|" "$APP/.env"
  printf 'smtp://mail:25' >"$APP/secrets/smtp_url"
  # What a real site has and this machine lacks: an SMTP relay (one that
  # prints what it gets), and a short key publication delay so that a
  # routine rotation completes in seconds. Compose reads this file itself.
  cat >"$APP/docker-compose.override.yml" <<'YAML'
services:
  mail:
    image: idmap-e2e/mailsink:bookworm
    networks: [edge]
  auth-server:
    environment:
      AUTH_JWKS_MAX_AGE: "5"
      AUTH_KEY_PUBLICATION_DELAY: "6"
YAML
  up_to_healthy "PostgreSQL" || return 1
  first_partners
}

step_through_nginx_pg() {
  begin_step "3 through nginx on PostgreSQL"
  through_nginx pg "pg$$"
}

step_scale() {
  begin_step "4 scaled out: auth-server=2, idmap-server=3"
  compose up -d --scale auth-server=2 --scale idmap-server=3 >"$WORK/scale.log" 2>&1 &&
    compose kill -s HUP nginx >/dev/null 2>&1 && pass "up -d --scale auth-server=2 --scale idmap-server=3; HUP nginx" ||
    { fail "scale out"; tail -20 "$WORK/scale.log"; return 1; }
  wait_healthy 300 >/dev/null && pass "every replica healthy" || { fail "every replica healthy"; return 1; }
  [ "$(container_ids idmap-server | wc -l)" -eq 3 ] && [ "$(container_ids auth-server | wc -l)" -eq 2 ] &&
    pass "3 idmap-server and 2 auth-server replicas run" || fail "replica counts"

  # shellcheck disable=SC2046
  tallied "$PY" "$E2E" load $(client_args) --tag "scale$$" --label "scale-out, 32 clients" \
    --client "$WORK/hosp1.json" --client "$WORK/hosp2.json" --reader "$WORK/reader.json" \
    --clients 32 --requests 20 --batch 50 --window 100

  # A routine rotation with both auth-server replicas running.
  write_replica_hits
  local before after new_kid
  keys_py() { admin keys list | "$PY" -c "import json, sys; keys = json.load(sys.stdin); $1"; }
  before=$(keys_py 'print(len(keys))')
  if admin keys rotate >"$WORK/rotate.out" 2>&1; then pass "admin keys rotate"; else
    fail "admin keys rotate: $(tail -3 "$WORK/rotate.out")"
    return 0
  fi
  after=$(keys_py 'print(len(keys))')
  new_kid=$(keys_py 'print(max(keys, key=lambda k: k["file"])["kid"])')
  [ "$after" -gt "$before" ] && pass "admin keys list shows the new key ($new_kid)" || fail "admin keys list shows the new key"
  # Publication delay (6 s) plus the replicas' key-directory poll (2 s).
  sleep 10
  # shellcheck disable=SC2046
  tallied "$PY" "$E2E" rotation $(client_args) --tag "rot$$" --client "$WORK/hosp1.json" \
    --kid "$new_kid" --replicas 3 --replica-hits "$WORK/replica-hits.sh"

  # One idmap-server replica killed while 16 clients link.
  local victim
  victim=$(container_ids idmap-server | tail -1)
  # shellcheck disable=SC2046
  tallied "$PY" "$E2E" load $(client_args) --tag "kill$$" --label "one replica killed, 16 clients" \
    --client "$WORK/hosp1.json" --client "$WORK/hosp2.json" --reader "$WORK/reader.json" \
    --clients 16 --requests 30 --batch 50 --window 100 \
    --kill-cmd "$DOCKER kill $victim" --kill-after 4
  local state
  state=$("$DOCKER" inspect -f '{{.State.Status}} restarts={{.RestartCount}}' "$victim" 2>/dev/null || echo gone)
  figure "killed replica afterwards" "$state"
  compose up -d --scale auth-server=2 --scale idmap-server=3 >/dev/null 2>&1 &&
    compose kill -s HUP nginx >/dev/null 2>&1 && wait_healthy 300 >/dev/null &&
    pass "back to 3 healthy idmap-server replicas" || fail "back to 3 healthy idmap-server replicas"
}

step_upgrade() {
  begin_step "5 upgrade: rebuilt images on the same volumes"
  local old_auth old_idmap start=$SECONDS
  old_auth=$("$DOCKER" image inspect -f '{{.Id}}' "idmap/auth-server:local")
  old_idmap=$("$DOCKER" image inspect -f '{{.Id}}' "idmap/idmap-server:local")
  # Stands for `git pull`: a release that changes the images' shared entry
  # point. The binaries come from the BuildKit cache (compiling them again
  # would only repeat step 2 at several minutes' cost); both images and
  # every container are new all the same.
  printf '\n# Upgrade rehearsal build.\n' >>"$APP/docker/with-secrets.sh"
  compose build >"$WORK/upgrade-build.log" 2>&1 && pass "docker-compose build" ||
    { fail "docker-compose build"; tail -30 "$WORK/upgrade-build.log"; return 1; }
  figure "upgrade: rebuild with the BuildKit cache (s)" $((SECONDS - start))
  [ "$("$DOCKER" image inspect -f '{{.Id}}' idmap/auth-server:local)" != "$old_auth" ] &&
    [ "$("$DOCKER" image inspect -f '{{.Id}}' idmap/idmap-server:local)" != "$old_idmap" ] &&
    pass "both service images are new" || fail "both service images are new"
  local t0=$SECONDS
  compose up -d --scale auth-server=2 --scale idmap-server=3 >"$WORK/upgrade-up.log" 2>&1 &&
    compose kill -s HUP nginx >/dev/null 2>&1 && pass "up -d (same --scale); HUP nginx" ||
    { fail "up -d after the build"; tail -20 "$WORK/upgrade-up.log"; return 1; }
  wait_healthy 300 >/dev/null && pass "every replica healthy after the upgrade" || { fail "healthy after the upgrade"; return 1; }
  figure "upgrade: recreate to healthy (s)" $((SECONDS - t0))
  local id stale=0
  for id in $(container_ids auth-server) $(container_ids idmap-server); do
    case $("$DOCKER" inspect -f '{{.Image}}' "$id") in "$old_auth" | "$old_idmap") stale=$((stale + 1)) ;; esac
  done
  [ "$stale" -eq 0 ] && pass "every service container runs a new image" || fail "$stale containers run an old image"
  # shellcheck disable=SC2046
  tallied "$PY" "$E2E" verify $(client_args) --label "after the upgrade" --record "$WORK/record-pg.json" \
    --client "$WORK/hosp1.json" --reader "$WORK/reader.json"
}

# backup_restore BACKEND: the guide's backup, `down -v`, the guide's restore.
backup_restore() {
  local backend=$1 label=$2
  local b=$APP/backup
  rm -rf "$b"
  mkdir -p "$b"
  if [ "$backend" = postgres ]; then
    compose exec -T db pg_dump -U postgres -Fc auth >"$b/auth.dump" &&
      compose exec -T db pg_dump -U postgres -Fc idmap >"$b/idmap.dump" &&
      pass "pg_dump auth and idmap" || fail "pg_dump"
  else
    compose exec -T db sh -c 'MYSQL_PWD=$(cat /run/secrets/db_root_password) \
      mariadb-dump -uroot --single-transaction --routines --triggers --databases auth idmap' >"$b/mariadb.sql" &&
      pass "mariadb-dump auth and idmap" || fail "mariadb-dump"
  fi
  compose exec -T auth-server tar -C /var/lib/idmap/keys -cf - . | gzip >"$b/auth-keys.tar.gz" &&
    pass "auth-keys volume archived" || fail "auth-keys volume archived"
  (cd "$APP" && tar -czf backup/secrets.tar.gz secrets .env) && pass "secrets and .env archived" || fail "secrets archived"

  compose down -v >/dev/null 2>&1 && pass "down -v: the volumes are gone" || fail "down -v"
  local start=$SECONDS
  compose up -d db >/dev/null 2>&1 || { fail "up -d db"; return 1; }
  local _
  for _ in $(seq 1 120); do
    [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$(compose ps -q db)")" = healthy ] && break
    sleep 2
  done
  if [ "$backend" = postgres ]; then
    compose exec -T db pg_restore -U postgres -d auth --clean --if-exists --no-owner --role=auth <"$b/auth.dump" &&
      compose exec -T db pg_restore -U postgres -d idmap --clean --if-exists --no-owner --role=idmap <"$b/idmap.dump" &&
      pass "pg_restore into fresh volumes" || fail "pg_restore"
  else
    compose exec -T db sh -c 'MYSQL_PWD=$(cat /run/secrets/db_root_password) mariadb -uroot' <"$b/mariadb.sql" &&
      pass "mariadb restore into fresh volumes" || fail "mariadb restore"
  fi
  compose run --rm --no-deps -T --entrypoint tar auth-server -C /var/lib/idmap/keys -xzf - <"$b/auth-keys.tar.gz" &&
    pass "auth-keys restored" || fail "auth-keys restored"
  if [ "$backend" = postgres ]; then
    compose exec -T db psql -U postgres -d idmap -c 'ANALYZE' >/dev/null && pass "ANALYZE" || fail "ANALYZE"
  fi
  compose up -d >/dev/null 2>&1 && wait_healthy 300 >/dev/null && pass "healthy on the restored volumes" ||
    { fail "healthy on the restored volumes"; return 1; }
  figure "$label: restore to healthy (s)" $((SECONDS - start))
  # shellcheck disable=SC2046
  tallied "$PY" "$E2E" verify $(client_args) --label "restored $label" --record "$WORK/record-$3.json" \
    --client "$WORK/hosp1.json" --reader "$WORK/reader.json"
}

step_backup_pg() {
  begin_step "6 backup and restore on PostgreSQL"
  backup_restore postgres PostgreSQL pg
}

step_mariadb() {
  begin_step "7 first start on MariaDB, through nginx, backup and restore"
  compose down -v >/dev/null 2>&1 && pass "down -v (PostgreSQL)" || fail "down -v (PostgreSQL)"
  cat "$APP/docker/mysql.env" >>"$APP/.env"
  up_to_healthy "MariaDB" || return 1
  first_partners
  through_nginx mariadb "maria$$"
  backup_restore mariadb MariaDB mariadb
}

step_down() {
  begin_step "8 down -v and dockerd stopped"
  compose down -v >/dev/null 2>&1 && pass "docker-compose down -v" || fail "docker-compose down -v"
  [ -z "$("$DOCKER" ps -aq)" ] && pass "no container left" || fail "containers left"
  [ -z "$("$DOCKER" volume ls -q)" ] && pass "no volume left" || fail "volumes left: $("$DOCKER" volume ls -q | tr '\n' ' ')"
  local pid=$DOCKERD_PID
  stop_dockerd
  ! kill -0 "$pid" 2>/dev/null && pass "dockerd stopped" || fail "dockerd stopped"
  [ -z "$(pgrep -f -- "$WORK/exec" || true)" ] && pass "nothing of it left running" || fail "processes left"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

case $MODE in
  tools)
    install_tools
    exit 0
    ;;
  prepare) STEP_LIST=(step_engine step_prebuild step_down) ;;
  run) STEP_LIST=(step_engine step_first_start step_through_nginx_pg step_scale step_upgrade step_backup_pg step_mariadb step_down) ;;
esac
for step in "${STEP_LIST[@]}"; do
  if ! "$step"; then
    fail "step stopped early"
    break
  fi
done
end_step
