#!/usr/bin/env bash
# End-to-end through the repository's nginx configuration (only host names,
# ports and certificate paths substituted) in front of both real services
# on SQLite: the partner flow over HTTPS with a development CA, plus the
# edge behaviour (redirect, HSTS, request ids, body and rate limits).
# Loopback only; bounded; prints "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
if ((${#need[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi
bin=$(scripts/build.sh)

tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
AUTH_PORT=$(free_port); IDMAP_PORT=$(free_port); HTTP_PORT=$(free_port); HTTPS_PORT=$(free_port)
public="https://localhost:${HTTPS_PORT}"

scripts/dev-certs.sh "$tmp/certs" >/dev/null
cp -r nginx "$tmp/conf"
cat >"$tmp/conf/conf.d/upstreams.conf" <<CONF
upstream auth_server  { server 127.0.0.1:${AUTH_PORT};  keepalive 16; keepalive_timeout 4s; }
upstream idmap_server { server 127.0.0.1:${IDMAP_PORT}; keepalive 16; keepalive_timeout 4s; }
CONF
echo "listen 127.0.0.1:${HTTP_PORT};" >"$tmp/conf/snippets/listen-http.conf"
echo "listen 127.0.0.1:${HTTPS_PORT} ssl;" >"$tmp/conf/snippets/listen-https.conf"
printf 'ssl_certificate %s;\nssl_certificate_key %s;\n' "$tmp/certs/fullchain.pem" "$tmp/certs/privkey.pem" \
  >"$tmp/conf/snippets/tls-certificates.conf"
mkdir -p "$tmp/prefix/logs" && chmod 755 "$tmp/prefix"

export AUTH_LISTEN="127.0.0.1:${AUTH_PORT}" AUTH_ISSUER="$public"
export AUTH_DATABASE_URL="sqlite://$tmp/auth.db" AUTH_SIGNING_KEY_DIR="$tmp/keys"
export IDMAP_LISTEN="127.0.0.1:${IDMAP_PORT}" IDMAP_ISSUER="$public"
export IDMAP_JWKS_URL="http://127.0.0.1:${AUTH_PORT}/oauth/jwks.json" IDMAP_DATABASE_URL="sqlite://$tmp/idmap.db"

"$bin/auth-server" serve >"$tmp/auth.log" 2>&1 &
pids+=($!)
"$bin/idmap-server" serve >"$tmp/idmap.log" 2>&1 &
pids+=($!)
nginx -p "$tmp/prefix/" -e stderr -c "$tmp/conf/nginx.conf" -g 'daemon off;' >"$tmp/nginx-access.log" 2>"$tmp/nginx-error.log" &
pids+=($!)

for _ in $(seq 1 150); do
  curl -fsS "http://127.0.0.1:${IDMAP_PORT}/health/ready" >/dev/null 2>&1 &&
    curl -fsS --cacert "$tmp/certs/ca.pem" "$public/health" >/dev/null 2>&1 && break
  sleep 0.2
done

"$bin/auth-server" admin partner add UFH --name "University hospital" >/dev/null
creds=$("$bin/auth-server" admin client add --partner UFH --scope "idmap:link")
client_id=$(sed -E 's/.*"client_id" *: *"([^"]+)".*/\1/' <<<"$creds")
client_secret=$(sed -E 's/.*"client_secret" *: *"([^"]+)".*/\1/' <<<"$creds")

passed=0 failed=0
check() {
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}
c() { curl -sS --cacert "$tmp/certs/ca.pem" "$@"; }

metadata=$(c "$public/.well-known/oauth-authorization-server")
check "metadata through nginx names the public issuer" grep -q "\"issuer\":\"$public\"" <<<"$metadata"

token_resp=$(c -D "$tmp/token.h" -u "$client_id:$client_secret" -d grant_type=client_credentials "$public/oauth/token")
token=$(sed -E 's/.*"access_token":"([^"]+)".*/\1/' <<<"$token_resp")
check "token over HTTPS" test "${#token}" -gt 100
check "token response is no-store" grep -qi '^cache-control: no-store' "$tmp/token.h"
check "HSTS on HTTPS answers" grep -qi '^strict-transport-security: max-age=' "$tmp/token.h"

hash=$(printf 'nginx e2e' | sha256sum | cut -d' ' -f1)
link=$(c -D "$tmp/link.h" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -H 'X-Request-Id: e2e-req-1' \
  -d "{\"patients\":[{\"ref\":\"r1\",\"hashes\":[{\"rule\":\"F_L_D_S\",\"hash\":\"$hash\"}]}]}" "$public/api/v1/link")
uuid=$(sed -E 's/.*"uuid":"([0-9a-f-]{36})".*/\1/' <<<"$link")
check "link through nginx answers a UUID" grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<<"$uuid"
check "request id passed through and returned" grep -qi '^x-request-id: e2e-req-1' "$tmp/link.h"
check "request id reached idmap-server's log" grep -q 'e2e-req-1' "$tmp/idmap.log"

save=$(c -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "{\"data\":{\"0\":{\"1\":\"$hash\"}}}" "$public/api/save")
check "/api/save answers the same UUID without dashes" grep -q "\"uuid\":\"${uuid//-/}\"" <<<"$save"

head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$tmp/big.json"
big_status=$(c -o "$tmp/big.out" -w '%{http_code}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary "@$tmp/big.json" "$public/api/v1/link")
check "oversized body answers 413" test "$big_status" = 413
check "413 body is JSON" grep -q '"error":"request_too_large"' "$tmp/big.out"

css=$(c -o /dev/null -w '%{http_code} %{content_type}' "$public/static/user-center.css")
check "the user center's stylesheet is served through nginx" grep -q '^200 text/css' <<<"$css"

redirect=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:${HTTP_PORT}/api/v1/link")
check "plain HTTP redirects to HTTPS" grep -Eq '^301 https://' <<<"$redirect"

: >"$tmp/flood"
for _ in $(seq 1 60); do
  c -o /dev/null -w '%{http_code}\n' -u "$client_id:wrong" -d grant_type=client_credentials "$public/oauth/token" >>"$tmp/flood" &
done
wait_flood=0
while [ "$(wc -l <"$tmp/flood")" -lt 60 ] && [ $wait_flood -lt 100 ]; do sleep 0.1; wait_flood=$((wait_flood + 1)); done
check "token endpoint rate limit answers 429" grep -q '^429$' "$tmp/flood"
limited=$(c -D - -o "$tmp/limited.out" -u "$client_id:wrong" -d grant_type=client_credentials "$public/oauth/token")
if grep -q '^HTTP/[0-9.]* 429' <<<"$limited"; then
  check "429 carries Retry-After and JSON" bash -c "grep -qi '^retry-after:' <<<\"\$0\" && grep -q '\"error\"' \"\$1\"" "$limited" "$tmp/limited.out"
fi

echo
echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
  for f in auth.log idmap.log nginx-error.log; do echo "--- $f"; tail -n 15 "$tmp/$f"; done
fi
[ "$failed" -eq 0 ]
