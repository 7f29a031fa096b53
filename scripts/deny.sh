#!/usr/bin/env bash
# Dependency policy check (deny.toml): licenses, banned crates, sources.
# Installs cargo-deny when missing. The advisory check is not
# run here because the RustSec database cannot be fetched from the build
# machines; docs/security.md says how to run it where it can.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=$(scripts/ensure-cargo-tool.sh deny)
[ -z "$tools" ] || PATH="$tools:$PATH"

cargo deny --locked check licenses bans sources
