#!/usr/bin/env bash
# Dependency policy check (deny.toml): licenses, banned crates, sources.
# Installs cargo-deny from crates.io when missing. The advisory check is not
# run here because the RustSec database cannot be fetched from the build
# machines; docs/security.md says how to run it where it can.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo deny --version >/dev/null 2>&1; then
    echo "installing cargo-deny from crates.io" >&2
    cargo install cargo-deny --locked
fi

cargo deny --locked check licenses bans sources
