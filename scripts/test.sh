#!/usr/bin/env bash
# Runs the whole test suite. PostgreSQL and MariaDB tests use the local
# servers (IDMAP_TEST_POSTGRES_URL, IDMAP_TEST_MYSQL_URL); outside CI they
# are skipped with a notice when a server is absent, with CI=true they fail.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-system-deps.sh
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --all-features --no-fail-fast "$@"
  cargo test --workspace --all-features --doc
else
  cargo test --workspace --all-features --no-fail-fast "$@"
fi
