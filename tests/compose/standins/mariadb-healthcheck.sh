#!/bin/bash
# healthcheck.sh of the mariadb stand-in: the two tests docker-compose.yml
# uses, as the official image defines them. --connect: a TCP connection as
# the healthcheck user succeeds; --innodb_initialized: InnoDB is available.
set -euo pipefail
cnf=/var/lib/mysql/.my-healthcheck.cnf
query() { mariadb --defaults-extra-file="$cnf" --skip-column-names -e "$1"; }
for arg in "$@"; do
  case $arg in
    --connect) query 'SELECT 1' >/dev/null ;;
    --innodb_initialized)
      [ "$(query "SELECT 1 FROM information_schema.ENGINES WHERE engine = 'InnoDB' AND support IN ('YES', 'DEFAULT', 'ENABLED')")" = 1 ]
      ;;
    *)
      echo "healthcheck.sh (stand-in): $arg is not supported" >&2
      exit 1
      ;;
  esac
done
