#!/usr/bin/env bash
# Pre-generates an RS256 signing key for auth-server: RSA 2048, PKCS#8 PEM,
# as the file the server itself would create, signing-<NNNN>.pem with the
# next free sequence number, mode 0600 in a directory of mode 0700.
#
#   scripts/gen-signing-key.sh [DIR]        (default: data/keys)
#
# Optional: auth-server creates a key on first start when DIR has none. Use
# this before the first start (for example to provision DIR as a secret).
# On a running deployment use `auth-server admin keys rotate` instead: a key
# added here is the newest, so it starts signing as soon as the servers
# reload the directory, before verifiers have seen it in the JWKS.
# The server signs with the newest key of AUTH_SIGNING_ALG (default RS256).
set -euo pipefail

dir=${1:-data/keys}
command -v openssl >/dev/null 2>&1 || { echo "openssl is required" >&2; exit 1; }

mkdir -p "$dir"
chmod 0700 "$dir"
umask 077

last=0
for f in "$dir"/signing-*.pem; do
  [ -e "$f" ] || continue
  n=${f##*/signing-}
  n=${n%.pem}
  [[ $n =~ ^[0-9]+$ ]] || continue
  n=$((10#$n))
  ((n > last)) && last=$n
done

# Written under a temporary name the server ignores, then hard-linked to its
# final name, which fails rather than overwrite a key created meanwhile.
tmp=$(mktemp "$dir/.tmp-XXXXXXXX")
trap 'rm -f "$tmp"' EXIT
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -outform PEM -out "$tmp" 2>/dev/null
chmod 0600 "$tmp"
name=$(printf 'signing-%04d.pem' $((last + 1)))
if ! ln "$tmp" "$dir/$name" 2>/dev/null; then
  echo "$dir/$name appeared meanwhile; run again" >&2
  exit 1
fi
echo "$dir/$name"
