#!/bin/bash
# Entry point of the postgres stand-in (tests/compose/standins/Dockerfile),
# after the official image's documented behaviour: as root it prepares
# PGDATA and drops to the postgres user; on an empty PGDATA it runs initdb
# for POSTGRES_USER with the password of POSTGRES_PASSWORD or
# POSTGRES_PASSWORD_FILE (local connections trusted, TCP with
# scram-sha-256), starts a socket-only server, runs
# /docker-entrypoint-initdb.d/*.sh and *.sql, and stops it again; then it
# runs the command, listening on every address.
set -Eeuo pipefail

if [ "${1:0:1}" = - ]; then
  set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  install -d -o postgres -g postgres -m 0700 "$PGDATA"
  install -d -o postgres -g postgres -m 2775 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    POSTGRES_PASSWORD=$(<"$POSTGRES_PASSWORD_FILE")
  fi
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgres stand-in: POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE is required" >&2
    exit 1
  fi
  user=${POSTGRES_USER:-postgres}
  # The official image initialises with a UTF-8 locale too (en_US.utf8).
  initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA" >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  export PGUSER=$user
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh)
        echo "postgres stand-in: running $f" >&2
        # shellcheck disable=SC1090 # the scripts are the deployment's
        if [ -x "$f" ]; then "$f"; else . "$f"; fi
        ;;
      *.sql)
        echo "postgres stand-in: running $f" >&2
        psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres -f "$f"
        ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "postgres stand-in: initialised $PGDATA" >&2
fi

exec "$@"
