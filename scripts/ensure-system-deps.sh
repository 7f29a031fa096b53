#!/usr/bin/env bash
# Installs the Debian packages the build links against (libpq for
# PostgreSQL, libmysqlclient for MySQL/MariaDB) when they are missing.
# SQLite is bundled and needs nothing.
set -euo pipefail

packages=(libpq-dev default-libmysqlclient-dev pkg-config curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing system packages: ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required: install Rust (1.89 or newer) from your distribution or rustup." >&2
  exit 1
fi
