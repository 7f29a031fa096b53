#!/usr/bin/env bash
# Builds every binary and example of the workspace (debug, or release with
# --release) and prints the directory they land in.
#
# The scripts that run the servers build through here, with the feature set
# the test suite builds with (all features, dev-dependencies in, which the
# examples bring): each other package selection resolves the dependencies'
# features differently and recompiles dozens of crates, so one build serves
# the tests and every script after them.
#
# Usage: bin=$(scripts/build.sh [--release])
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug
flags=()
if [ "${1:-}" = --release ]; then
    profile=release
    flags=(--release)
fi
cargo build --quiet --workspace --all-features --bins --examples "${flags[@]}" >&2
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
case "$target_dir" in /*) ;; *) target_dir=$PWD/$target_dir ;; esac
echo "$target_dir/$profile"
