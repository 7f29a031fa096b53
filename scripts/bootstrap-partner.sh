#!/usr/bin/env bash
# Registers a partner (hospital) and a client for it, and prints the
# client's JSON {"client_id": ..., "client_secret": ...} on stdout. The
# secret is shown this once: hand it to the partner over a safe channel.
#
#   scripts/bootstrap-partner.sh [options] CODE NAME
#     --scope SCOPES   scopes of the client (default: "idmap:link")
#     --client-name N  name of the client (default: none)
#     --local          run an auth-server binary on this machine, with the
#                      environment as it is (AUTH_DATABASE_URL, ...), instead
#                      of the running docker compose deployment
#     --bin PATH       the binary for --local (default: auth-server on PATH,
#                      else target/release/auth-server, else target/debug/)
#
# A partner that exists already is reused, so a second client can be made
# for it. The compose command is `docker compose` (or `docker-compose`);
# set COMPOSE to choose another, e.g. COMPOSE="docker compose -p idmap".
set -euo pipefail

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

scope="idmap:link"
client_name=""
local_mode=false
bin=""
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --scope) [ $# -ge 2 ] || usage; scope=$2; shift 2 ;;
    --client-name) [ $# -ge 2 ] || usage; client_name=$2; shift 2 ;;
    --local) local_mode=true; shift ;;
    --bin) [ $# -ge 2 ] || usage; bin=$2; shift 2 ;;
    -h | --help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -eq 2 ] || usage
code=${args[0]}
name=${args[1]}

repo=$(cd "$(dirname "$0")/.." && pwd)
if $local_mode; then
  if [ -z "$bin" ]; then
    if command -v auth-server >/dev/null 2>&1; then
      bin=auth-server
    elif [ -x "$repo/target/release/auth-server" ]; then
      bin=$repo/target/release/auth-server
    elif [ -x "$repo/target/debug/auth-server" ]; then
      bin=$repo/target/debug/auth-server
    else
      echo "no auth-server binary found; build it or pass --bin" >&2
      exit 1
    fi
  fi
  admin() { "$bin" admin "$@"; }
else
  if [ -n "${COMPOSE:-}" ]; then
    read -r -a compose <<<"$COMPOSE"
  elif docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
  else
    echo "neither 'docker compose' nor docker-compose found (or use --local)" >&2
    exit 1
  fi
  # exec bypasses the image's entry point, which puts the database password
  # into AUTH_DATABASE_URL: call it explicitly.
  admin() { (cd "$repo" && "${compose[@]}" exec -T auth-server with-secrets auth-server admin "$@"); }
fi

if err=$(admin partner add "$code" --name "$name" 2>&1 >/dev/null); then
  echo "partner $code registered" >&2
elif admin partner list 2>/dev/null | grep -q "\"code\" *: *\"$code\""; then
  echo "partner $code exists; adding a client to it" >&2
else
  printf '%s\n' "$err" >&2
  echo "could not register partner $code" >&2
  exit 1
fi

client_args=(client add --partner "$code" --scope "$scope")
[ -z "$client_name" ] || client_args+=(--name "$client_name")
admin "${client_args[@]}"
echo "client created for $code with scope \"$scope\"; the secret above is not shown again" >&2
