#!/usr/bin/env bash
# Static checks of the deployment layer, as CI runs them:
#   1. docker-compose.yml renders (`docker-compose config -q`) with the
#      default PostgreSQL settings and with docker/mysql.env, only nginx
#      publishes ports, and every third-party image has a pinned tag;
#   2. nginx/ passes `nginx -t` with development certificates and the
#      upstreams on 127.0.0.1, run under a temporary prefix (the system's
#      nginx is not touched), and its site-specific values stay in the four
#      files named in nginx/nginx.conf;
#   3. the Dockerfiles pin their base images (a version tag, never latest),
#      run their final stages as a non-root USER with a HEALTHCHECK, and put
#      no secret-looking names or credentials in ENV/ARG; .dockerignore
#      keeps target/, data/, secrets/ and .git out of the build context;
#   4. the deployment shell scripts are shellcheck-clean.
# Installs Debian's docker-compose, nginx and shellcheck when missing (no
# Docker engine is needed). Exits non-zero when any check fails, after
# running them all.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

failures=0
ok() { echo "ok    $1"; }
fail() {
  echo "FAIL  $1"
  failures=$((failures + 1))
}

# ---- tools --------------------------------------------------------------

missing=()
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ((${#missing[@]})); then
  echo "Installing Debian packages: ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- 1. compose -----------------------------------------------------------

# Runs docker-compose with a clean interpolation environment: no .env of the
# operator's and none of the DEPLOY_* variables of the caller.
compose_config() {
  env -u DEPLOY_DB_IMAGE -u DEPLOY_DB_SCHEME -u DEPLOY_DB_VOLUME -u DEPLOY_DB_DATA_DIR \
    docker-compose --project-directory . -f docker-compose.yml --env-file "$1" config "${@:2}"
}
: >"$work/empty.env"
for variant in default mysql; do
  env_file=$work/empty.env
  [ "$variant" = default ] || env_file=docker/mysql.env
  if ! out=$(compose_config "$env_file" -q 2>&1); then
    fail "compose config ($variant): $out"
    continue
  fi
  rendered=$(compose_config "$env_file" 2>&1)
  want_image=postgres:
  [ "$variant" = default ] || want_image=mariadb:
  if ! grep -q "image: $want_image" <<<"$rendered"; then
    fail "compose config ($variant): the db service does not use $want_image"
    continue
  fi
  # Only nginx may publish ports.
  publishing=$(awk '/^  [a-z][a-z0-9-]*:$/ {svc=$1} /^    ports:/ {print svc}' <<<"$rendered" | tr -d ':' | sort -u)
  if [ "$publishing" != "nginx" ]; then
    fail "compose config ($variant): services publishing ports: ${publishing:-none} (only nginx may)"
    continue
  fi
  bad_images=""
  while read -r image; do
    [[ -z $image || $image == idmap/* || $image == *@sha256:* ]] && continue
    tag=${image##*/}
    tag=${tag#*:}
    if [[ ${image##*/} != *:* || $tag == latest || ! $tag =~ [0-9] ]]; then
      bad_images+=" $image"
    fi
  done <<<"$(awk '/^    image: / {print $2}' <<<"$rendered")"
  if [ -n "$bad_images" ]; then
    fail "compose config ($variant): images without a pinned version tag:$bad_images"
    continue
  fi
  ok "compose config ($variant)"
done

# ---- 2. nginx -------------------------------------------------------------

nginx_layout_ok=true
check_only_in() {
  local what=$1 pattern=$2 allowed=$3 found
  found=$(grep -rlE "$pattern" nginx --include='*.conf' | grep -vxF "$allowed" || true)
  if [ -n "$found" ]; then
    fail "nginx layout: $what outside $allowed: $found"
    nginx_layout_ok=false
  fi
}
check_only_in "listen (HTTP)" '^\s*listen\s+[^;]*80\b' nginx/snippets/listen-http.conf
check_only_in "listen (HTTPS)" '^\s*listen\s+[^;]*ssl' nginx/snippets/listen-https.conf
check_only_in "certificate paths" '^\s*ssl_certificate(_key)?\s' nginx/snippets/tls-certificates.conf
check_only_in "upstream blocks" '^\s*upstream\s' nginx/conf.d/upstreams.conf
# The four site files hold nothing else, since the nginx -t below (like any
# test) replaces them.
only_directives() {
  local file=$1 allowed=$2 extra
  extra=$(grep -vE "^\s*(#.*)?$|^\s*($allowed)([[:space:];{]|$)" "$file" || true)
  if [ -n "$extra" ]; then
    fail "nginx layout: unexpected lines in $file: $extra"
    nginx_layout_ok=false
  fi
}
only_directives nginx/snippets/listen-http.conf 'listen'
only_directives nginx/snippets/listen-https.conf 'listen|http2'
only_directives nginx/snippets/tls-certificates.conf 'ssl_certificate|ssl_certificate_key'
only_directives nginx/conf.d/upstreams.conf 'upstream|server|keepalive|keepalive_timeout|keepalive_requests|zone|\}'
$nginx_layout_ok && ok "nginx layout (site-specific values in four files)"

scripts/dev-certs.sh "$work/certs" 2>/dev/null
cp -r nginx "$work/conf"
cat >"$work/conf/conf.d/upstreams.conf" <<CONF
upstream auth_server { server 127.0.0.1:18081; keepalive 16; keepalive_timeout 4s; }
upstream idmap_server { server 127.0.0.1:18082; keepalive 16; keepalive_timeout 4s; }
CONF
echo "listen 127.0.0.1:18080;" >"$work/conf/snippets/listen-http.conf"
echo "listen 127.0.0.1:18443 ssl;" >"$work/conf/snippets/listen-https.conf"
cat >"$work/conf/snippets/tls-certificates.conf" <<CONF
ssl_certificate     $work/certs/fullchain.pem;
ssl_certificate_key $work/certs/privkey.pem;
CONF
mkdir -p "$work/prefix"
if out=$(nginx -t -p "$work/prefix/" -e stderr -c "$work/conf/nginx.conf" 2>&1); then
  # Development certificates have no OCSP responder: that warning is expected.
  unexpected=$(grep -E '\[(warn|emerg|alert|crit|error)\]' <<<"$out" | grep -v 'ssl_stapling' || true)
  if [ -n "$unexpected" ]; then
    fail "nginx -t warnings: $unexpected"
  else
    ok "nginx -t ($(nginx -v 2>&1 | sed 's/.*: //'))"
  fi
else
  fail "nginx -t: $out"
fi

# ---- 3. Dockerfiles -------------------------------------------------------

secret_name='(PASS(WORD|WD)?|SECRET|TOKEN|CREDENTIALS?|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY)'
compose_targets=$(awk '/^ *target:/ {print $2}' docker-compose.yml | sort -u)

# Checks one Dockerfile; prints one line per problem.
dockerfile_problems() {
  local file=$1 line instr rest image alias stage="" last="" n=0 s name tag
  local -A parent=() user=() health=() known=()
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    read -r instr rest <<<"$line"
    instr=${instr^^}
    case $instr in
      FROM)
        local -a w
        read -r -a w <<<"$rest"
        while [[ ${w[0]:-} == --* ]]; do w=("${w[@]:1}"); done
        image=${w[0]:-}
        alias=""
        [[ ${w[1]:-} =~ ^[Aa][Ss]$ ]] && alias=${w[2]:-}
        n=$((n + 1))
        stage=${alias:-"#$n"}
        known[$stage]=1
        parent[$stage]=""
        if [ -n "$image" ] && [ -n "${known[$image]:-}" ]; then
          parent[$stage]=$image
        elif [ "$image" != scratch ]; then
          if [[ $image == *@sha256:* ]]; then
            :
          elif [[ ${image##*/} != *:* ]]; then
            echo "$file: FROM $image has no tag"
          else
            tag=${image##*:}
            if [ "$tag" = latest ] || ! [[ $tag =~ [0-9] ]]; then
              echo "$file: FROM $image is not pinned to a version"
            fi
          fi
        fi
        last=$stage
        ;;
      USER) user[$stage]=${rest%% *} ;;
      HEALTHCHECK)
        if [[ ${rest^^} == NONE* ]]; then health[$stage]=no; else health[$stage]=yes; fi
        ;;
      ENV | ARG)
        local -a names=()
        if [ "$instr" = ENV ] && ! [[ $rest =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then
          names=("${rest%% *}")
        else
          # shellcheck disable=SC2207 # names are plain identifiers
          names=($(grep -oE '(^|[[:space:]])[A-Za-z_][A-Za-z0-9_]*(=|$|[[:space:]])' <<<"$rest" |
            tr -d '= \t' || true))
          [ "$instr" = ARG ] && names=("${rest%%[= ]*}")
        fi
        for name in "${names[@]}"; do
          [ -n "$name" ] || continue
          if [[ ${name^^} =~ $secret_name ]] && ! [[ ${name^^} =~ _(FILE|DIR|PATH)$ ]]; then
            echo "$file: $instr $name looks like a secret"
          fi
        done
        if [[ $rest =~ ://[^/@[:space:]]+:[^/@[:space:]]+@ ]]; then
          echo "$file: $instr carries credentials in a URL"
        fi
        ;;
    esac
  done < <(sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba' -e '}' "$file")

  [ -n "$last" ] || { echo "$file: no FROM"; return; }
  local targets=("$last") t u h
  for t in $compose_targets; do
    [ -n "${known[$t]:-}" ] && [ "$t" != "$last" ] && targets+=("$t")
  done
  for t in "${targets[@]}"; do
    s=$t u="" h=""
    while [ -n "$s" ]; do
      [ -z "$u" ] && u=${user[$s]:-}
      [ -z "$h" ] && h=${health[$s]:-}
      s=${parent[$s]:-}
    done
    case ${u%%:*} in
      "" | root | 0) echo "$file: stage $t does not run as a non-root USER" ;;
    esac
    [ "$h" = yes ] || echo "$file: stage $t has no HEALTHCHECK"
  done
}

dockerfiles=()
for f in docker/Dockerfile docker/*.Dockerfile; do
  [ -f "$f" ] && dockerfiles+=("$f")
done
if ((${#dockerfiles[@]} == 0)); then
  fail "Dockerfiles: none found under docker/"
fi
for f in "${dockerfiles[@]}"; do
  problems=$(dockerfile_problems "$f")
  if [ -n "$problems" ]; then
    fail "Dockerfile checks:"$'\n'"$problems"
  else
    ok "Dockerfile $f (pinned bases, non-root USER, HEALTHCHECK, no secrets in ENV/ARG)"
  fi
done

ignore_missing=()
for p in target data secrets .git; do
  grep -qE "^/?$p/?$" .dockerignore 2>/dev/null || ignore_missing+=("$p")
done
if ((${#ignore_missing[@]})); then
  fail ".dockerignore does not exclude: ${ignore_missing[*]}"
else
  ok ".dockerignore"
fi

# ---- 4. shell scripts -----------------------------------------------------

scripts=(scripts/check-deploy.sh scripts/dev-certs.sh scripts/gen-signing-key.sh
  scripts/bootstrap-partner.sh docker/init-secrets.sh docker/db-init.sh
  scripts/compose-e2e.sh tests/compose/standins/*.sh)
if out=$(shellcheck "${scripts[@]}" 2>&1 && shellcheck -s sh docker/with-secrets.sh 2>&1); then
  ok "shellcheck (${#scripts[@]} bash scripts, 1 POSIX sh script)"
else
  fail "shellcheck:"$'\n'"$out"
fi

echo
if ((failures)); then
  echo "check-deploy: $failures check(s) failed"
  exit 1
fi
echo "check-deploy: all checks passed"
