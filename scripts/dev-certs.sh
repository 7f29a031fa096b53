#!/usr/bin/env bash
# Creates a development CA and a server certificate signed by it, for
# localhost and 127.0.0.1 (and ::1) plus any extra DNS names given.
#
#   scripts/dev-certs.sh DIR [--force] [EXTRA_DNS_NAME...]
#
# Writes into DIR (created with mode 0700):
#   ca.pem         the CA certificate: give it to clients (curl --cacert)
#   ca-key.pem     the CA private key (development only)
#   cert.pem       the server certificate
#   fullchain.pem  server certificate followed by the CA certificate (nginx)
#   privkey.pem    the server private key (mode 0600)
# Existing files are kept unless --force is given. Never use these in
# production: the CA key sits next to the certificates.
set -euo pipefail

usage() {
  echo "usage: $0 DIR [--force] [EXTRA_DNS_NAME...]" >&2
  exit 2
}

[ $# -ge 1 ] || usage
dir=$1
shift
force=false
names=()
for arg in "$@"; do
  case $arg in
    --force) force=true ;;
    -*) usage ;;
    *) names+=("$arg") ;;
  esac
done

command -v openssl >/dev/null 2>&1 || { echo "openssl is required" >&2; exit 1; }

if [ -s "$dir/fullchain.pem" ] && [ -s "$dir/privkey.pem" ] && ! $force; then
  echo "development certificates already in $dir (use --force to replace)" >&2
  exit 0
fi

mkdir -p "$dir"
chmod 0700 "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

san="DNS:localhost,IP:127.0.0.1,IP:::1"
for n in "${names[@]}"; do
  san="$san,DNS:$n"
done

openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 825 \
  -subj "/CN=idmap development CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$work/ca-key.pem" -out "$work/ca.pem" 2>/dev/null

openssl req -new -newkey rsa:2048 -nodes -sha256 \
  -subj "/CN=localhost" \
  -keyout "$work/privkey.pem" -out "$work/server.csr" 2>/dev/null

cat >"$work/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
EXT

openssl x509 -req -sha256 -days 365 \
  -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca-key.pem" -CAcreateserial \
  -extfile "$work/server.ext" -out "$work/cert.pem" 2>/dev/null

cat "$work/cert.pem" "$work/ca.pem" >"$work/fullchain.pem"
chmod 0644 "$work/ca.pem" "$work/cert.pem" "$work/fullchain.pem"
chmod 0600 "$work/ca-key.pem" "$work/privkey.pem"
for f in ca.pem ca-key.pem cert.pem fullchain.pem privkey.pem; do
  mv -f "$work/$f" "$dir/$f"
done
echo "development CA and server certificate ($san) written to $dir" >&2
