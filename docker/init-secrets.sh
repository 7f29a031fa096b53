#!/usr/bin/env bash
# Creates the files docker-compose.yml reads as secrets, under ./secrets/,
# keeping any that exist:
#   secrets/db_root_password     superuser of the database container
#   secrets/auth_db_password     database user "auth" (auth-server)
#   secrets/idmap_db_password    database user "idmap" (idmap-server)
#   secrets/smtp_url             the SMTP relay of user-center mail; created
#                                empty, the operator writes the URL into it
#   secrets/tls/fullchain.pem    server certificate chain for nginx
#   secrets/tls/privkey.pem      its private key
# Passwords are 32 random URL-safe characters. When no certificate is
# there, a development CA and certificate are made (scripts/dev-certs.sh,
# for localhost plus the names given as arguments); replace them with real
# ones for production (docs/operator-guide.md).
#
#   docker/init-secrets.sh [EXTRA_DNS_NAME...]
#
# The directory is private to its owner (0700); the password files in it
# are 0644 because the containers read them as their own non-root users
# through the bind mount, which the directory's mode does not restrict.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=secrets
mkdir -p "$dir"
chmod 0700 "$dir"

new_password() {
  # 24 random bytes -> 32 characters of base64url.
  head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

for name in db_root_password auth_db_password idmap_db_password; do
  file=$dir/$name
  if [ -s "$file" ]; then
    echo "kept     $file" >&2
  else
    (umask 022 && new_password >"$file.tmp")
    mv "$file.tmp" "$file"
    echo "created  $file" >&2
  fi
done

# The relay's URL carries its password, so it is a secret file too.
smtp=$dir/smtp_url
if [ -s "$smtp" ]; then
  echo "kept     $smtp" >&2
else
  [ -e "$smtp" ] || (umask 022 && : >"$smtp")
  echo "EMPTY    $smtp: write your SMTP relay's URL into it, such as" \
    "smtps://user:password@mail.example.org:465 (docs/operator-guide.md);" \
    "auth-server does not start without one unless DEPLOY_MAILER=log" >&2
fi

if [ -s "$dir/tls/fullchain.pem" ] && [ -s "$dir/tls/privkey.pem" ]; then
  echo "kept     $dir/tls/fullchain.pem and privkey.pem" >&2
else
  scripts/dev-certs.sh "$dir/tls" "$@"
  echo "created  a DEVELOPMENT certificate in $dir/tls (clients need $dir/tls/ca.pem);" \
    "replace fullchain.pem and privkey.pem for production" >&2
fi
