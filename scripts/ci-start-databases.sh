#!/usr/bin/env bash
# Makes sure the local PostgreSQL and MariaDB servers the test suite uses are
# running (starting them when stopped) and reachable as the test URLs expect.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
my_up() { mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1 || mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1; }

if ! pg_up && [ -d /etc/postgresql ]; then
  echo "starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! my_up && [ -x /usr/sbin/mariadbd ]; then
  echo "starting MariaDB" >&2
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
for _ in $(seq 1 60); do
  pg_up && my_up && break
  sleep 1
done
pg_up || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
my_up || { echo "MariaDB is not reachable on 127.0.0.1:3306" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -d postgres -Atc "select 1" >/dev/null
mariadb -h 127.0.0.1 -u root -e "select 1" >/dev/null
echo "databases ready" >&2
