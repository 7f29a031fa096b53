#!/usr/bin/env bash
# Creates the two service databases, auth and idmap, each owned by its own
# user, the first time the database container starts on an empty data
# directory. Mounted into /docker-entrypoint-initdb.d, which both the
# postgres and the mariadb images run once at initialisation; the passwords
# are the compose secrets auth_db_password and idmap_db_password (and
# db_root_password for MariaDB's root). Later password changes are made with
# ALTER ROLE / ALTER USER (docs/operator-guide.md).
set -euo pipefail

secrets=/run/secrets
for s in auth_db_password idmap_db_password; do
  [ -s "$secrets/$s" ] || { echo "db-init: missing secret $secrets/$s" >&2; exit 1; }
done

if command -v psql >/dev/null 2>&1; then
  # Passwords are read by psql itself (backquotes), so they never appear in
  # a command line.
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres <<SQL
\set auth_pw \`cat $secrets/auth_db_password\`
\set idmap_pw \`cat $secrets/idmap_db_password\`
CREATE ROLE auth LOGIN PASSWORD :'auth_pw';
CREATE DATABASE auth OWNER auth;
REVOKE ALL ON DATABASE auth FROM PUBLIC;
CREATE ROLE idmap LOGIN PASSWORD :'idmap_pw';
CREATE DATABASE idmap OWNER idmap;
REVOKE ALL ON DATABASE idmap FROM PUBLIC;
SQL
  echo "db-init: PostgreSQL databases auth and idmap created" >&2
elif command -v mariadb >/dev/null 2>&1; then
  # A MariaDB string literal: backslashes and quotes escaped.
  sql_string() { sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g" "$1"; }
  auth_pw=$(sql_string "$secrets/auth_db_password")
  idmap_pw=$(sql_string "$secrets/idmap_db_password")
  MYSQL_PWD=$(cat "$secrets/db_root_password") mariadb --protocol=socket -uroot <<SQL
CREATE DATABASE auth CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER 'auth'@'%' IDENTIFIED BY '$auth_pw';
GRANT ALL PRIVILEGES ON auth.* TO 'auth'@'%';
CREATE DATABASE idmap CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER 'idmap'@'%' IDENTIFIED BY '$idmap_pw';
GRANT ALL PRIVILEGES ON idmap.* TO 'idmap'@'%';
SQL
  echo "db-init: MariaDB databases auth and idmap created" >&2
else
  echo "db-init: neither psql nor mariadb found in this image" >&2
  exit 1
fi
