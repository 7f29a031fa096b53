#!/bin/bash
# Entry point of the mariadb stand-in (tests/compose/standins/Dockerfile),
# after the official image's documented behaviour: as root it prepares the
# data directory and drops to the mysql user; on an empty data directory it
# installs the system tables, starts a socket-only server, gives root (local
# and '%') the password of MARIADB_ROOT_PASSWORD or
# MARIADB_ROOT_PASSWORD_FILE, creates the healthcheck user that
# healthcheck.sh reads from .my-healthcheck.cnf, runs
# /docker-entrypoint-initdb.d/*.sh and *.sql, and stops it again; then it
# runs the command.
set -Eeuo pipefail

datadir=/var/lib/mysql
socket=/run/mysqld/mysqld.sock

if [ "${1:0:1}" = - ]; then
  set -- mariadbd "$@"
fi

if [ "$1" = mariadbd ] && [ "$(id -u)" = 0 ]; then
  install -d -o mysql -g mysql "$datadir" /run/mysqld
  exec setpriv --reuid=mysql --regid=mysql --init-groups "${BASH_SOURCE[0]}" "$@"
fi

sql_string() { sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g"; }

if [ "$1" = mariadbd ] && [ ! -d "$datadir/mysql" ]; then
  if [ -n "${MARIADB_ROOT_PASSWORD_FILE:-}" ]; then
    MARIADB_ROOT_PASSWORD=$(<"$MARIADB_ROOT_PASSWORD_FILE")
  fi
  if [ -z "${MARIADB_ROOT_PASSWORD:-}" ]; then
    echo "mariadb stand-in: MARIADB_ROOT_PASSWORD or MARIADB_ROOT_PASSWORD_FILE is required" >&2
    exit 1
  fi
  mariadb-install-db --datadir="$datadir" --skip-test-db \
    --auth-root-authentication-method=normal >/dev/null
  mariadbd --skip-networking --socket="$socket" &
  pid=$!
  for _ in $(seq 1 60); do
    mariadb-admin --socket="$socket" -uroot ping >/dev/null 2>&1 && break
    sleep 1
  done
  root_pw=$(printf '%s' "$MARIADB_ROOT_PASSWORD" | sql_string)
  health_pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  mariadb --socket="$socket" -uroot <<SQL
SET @@SESSION.SQL_LOG_BIN = 0;
DELETE FROM mysql.user WHERE user = '';
ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_pw';
CREATE USER 'root'@'%' IDENTIFIED BY '$root_pw';
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
CREATE USER 'healthcheck'@'127.0.0.1' IDENTIFIED BY '$health_pw';
CREATE USER 'healthcheck'@'::1' IDENTIFIED BY '$health_pw';
CREATE USER 'healthcheck'@'localhost' IDENTIFIED BY '$health_pw';
SQL
  (umask 077 && printf '[mariadb-client]\nport=3306\nsocket=%s\nuser=healthcheck\npassword=%s\nprotocol=tcp\n' \
    "$socket" "$health_pw" >"$datadir/.my-healthcheck.cnf")
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh)
        echo "mariadb stand-in: running $f" >&2
        # shellcheck disable=SC1090 # the scripts are the deployment's
        if [ -x "$f" ]; then "$f"; else . "$f"; fi
        ;;
      *.sql)
        echo "mariadb stand-in: running $f" >&2
        MYSQL_PWD=$MARIADB_ROOT_PASSWORD mariadb --socket="$socket" -uroot <"$f"
        ;;
    esac
  done
  MYSQL_PWD=$MARIADB_ROOT_PASSWORD mariadb-admin --socket="$socket" -uroot shutdown
  wait "$pid" || true
  echo "mariadb stand-in: initialised $datadir" >&2
fi

exec "$@"
