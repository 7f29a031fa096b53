#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time and fails on a crash.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]
#
# Default: 30 s per target, all targets. Works on the stable toolchain:
# cargo-fuzz needs nightly flags, so RUSTC_BOOTSTRAP=1 enables them. It
# tries AddressSanitizer first and falls back to `--sanitizer none` (plain
# libFuzzer, still coverage-guided, still catches panics, overflows in debug
# assertions and infinite loops via -timeout) when ASan does not build.
#
# FUZZ_DEV=1 builds the targets in the dev profile (no optimisation, debug
# assertions on): a fraction of the release build's compile time, for short
# runs such as CI's, where compiling would otherwise cost more than fuzzing.
#
# Seeds live in fuzz/corpus/<target>/seed-*; inputs the fuzzer discovers are
# written next to them but are git-ignored. A crash leaves its input in
# fuzz/artifacts/<target>/; reproduce it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none <target> fuzz/artifacts/<target>/<file>
set -euo pipefail

seconds="${1:-30}"
shift || true
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

tools=$(scripts/ensure-cargo-tool.sh fuzz)
[ -z "$tools" ] || PATH="$tools:$PATH"

export RUSTC_BOOTSTRAP=1
build_flags=()
[ "${FUZZ_DEV:-0}" = 1 ] && build_flags+=(--dev)
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

sanitizer="${FUZZ_SANITIZER:-}"
if [ -z "$sanitizer" ]; then
    if cargo fuzz build "${build_flags[@]}" --sanitizer address "${targets[0]}" >/dev/null 2>&1; then
        sanitizer=address
    else
        echo "AddressSanitizer build failed; fuzzing with --sanitizer none" >&2
        sanitizer=none
    fi
fi

failed=()
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus"
    echo "== $target: ${seconds}s, sanitizer $sanitizer" >&2
    # -timeout: one input taking over 10 s is a hang, reported as a crash.
    # -rss_limit_mb: a runaway allocation is a crash too.
    if ! cargo fuzz run "${build_flags[@]}" --sanitizer "$sanitizer" "$target" "$corpus" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1; then
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzzing found crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzzing: ${#targets[@]} targets ran ${seconds}s each without a crash" >&2
