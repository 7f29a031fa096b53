#!/bin/sh
# Entry point of the service images: turns secret files into the variables
# the services read, then runs the command given. For P in AUTH and IDMAP:
#
#   P_DATABASE_URL_FILE       a file holding the whole database URL; it
#                             becomes P_DATABASE_URL
#   P_DATABASE_PASSWORD_FILE  a file holding only the password; it is
#                             percent-encoded and written into P_DATABASE_URL,
#                             which must name a user and no password
#                             (postgres://auth@db/auth)
#
#   AUTH_SMTP_URL_FILE        a file holding the SMTP relay's URL; it becomes
#                             AUTH_SMTP_URL (left unset when the file is empty)
#
# A trailing newline in a file is ignored. `docker compose exec` bypasses the
# entry point, so commands run that way are prefixed with it:
#   docker compose exec auth-server with-secrets auth-server admin partner list
set -eu

die() {
  echo "with-secrets: $*" >&2
  exit 1
}

# Prints the contents of file $1 without trailing newlines.
read_secret() {
  [ -r "$1" ] || die "cannot read $1"
  content=$(cat "$1")
  [ -n "$content" ] || die "$1 is empty"
  printf '%s' "$content"
}

# Percent-encodes stdin (RFC 3986: unreserved characters stay as they are).
percent_encode() {
  od -An -v -tx1 | tr -s ' ' '\n' | while read -r h; do
    [ -n "$h" ] || continue
    case $h in
      3[0-9] | 4[1-9a-f] | 5[0-9a] | 6[1-9a-f] | 7[0-9a] | 2d | 2e | 5f | 7e)
        # shellcheck disable=SC2059 # the format is the octal escape itself
        printf "\\$(printf '%03o' "0x$h")" ;;
      *) printf '%%%s' "$(printf '%s' "$h" | tr 'a-f' 'A-F')" ;;
    esac
  done
}

for p in AUTH IDMAP; do
  eval "url_file=\${${p}_DATABASE_URL_FILE:-}"
  eval "password_file=\${${p}_DATABASE_PASSWORD_FILE:-}"
  if [ -n "$url_file" ]; then
    url=$(read_secret "$url_file")
    export "${p}_DATABASE_URL=$url"
  fi
  if [ -n "$password_file" ]; then
    eval "url=\${${p}_DATABASE_URL:-}"
    [ -n "$url" ] || die "${p}_DATABASE_PASSWORD_FILE is set but ${p}_DATABASE_URL is not"
    scheme=${url%%://*}
    rest=${url#*://}
    [ "$rest" != "$url" ] || die "${p}_DATABASE_URL is not a URL"
    case $scheme in
      postgres | postgresql | mysql) ;;
      *) die "${p}_DATABASE_PASSWORD_FILE needs a postgres:// or mysql:// URL" ;;
    esac
    user=${rest%%@*}
    [ "$user" != "$rest" ] || die "${p}_DATABASE_URL names no user (scheme://user@host/db)"
    case $user in
      *:*) die "${p}_DATABASE_URL already carries a password" ;;
    esac
    raw=$(read_secret "$password_file")
    password=$(printf '%s' "$raw" | percent_encode)
    export "${p}_DATABASE_URL=$scheme://$user:$password@${rest#*@}"
  fi
done

# AUTH_SMTP_URL_FILE: a file holding the SMTP relay's URL, which carries its
# password. An empty file leaves AUTH_SMTP_URL unset, so that auth-server
# says itself which setting is missing.
if [ -n "${AUTH_SMTP_URL_FILE:-}" ]; then
  [ -r "$AUTH_SMTP_URL_FILE" ] || die "cannot read $AUTH_SMTP_URL_FILE"
  smtp_url=$(cat "$AUTH_SMTP_URL_FILE")
  if [ -n "$smtp_url" ]; then
    export "AUTH_SMTP_URL=$smtp_url"
  else
    echo "with-secrets: $AUTH_SMTP_URL_FILE is empty: AUTH_SMTP_URL stays unset" >&2
  fi
fi

[ $# -gt 0 ] || die "no command given"
exec "$@"
