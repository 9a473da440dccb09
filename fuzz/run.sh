#!/usr/bin/env bash
# Fuzzes DBusKit's reply decoder with libFuzzer for SECONDS (default 300).
#
#   fuzz/run.sh [seconds]
#   fuzz/run.sh --smoke    CI's short run (scripts/test.sh): seed 1, 500,000 inputs (about
#                          10 s on an idle 2-core machine) or 20 s at most, from the seeds alone
#
# Builds fuzz/ with libFuzzer and AddressSanitizer, writes a seed corpus of real
# marshalled replies (Ganesha's shapes, produced by DBusKit's own encoder), then fuzzes.
# The corpus grows in fuzz/corpus/ across runs (not with --smoke, which starts from the
# seeds each time so that a run is repeatable); reproducers land in fuzz/artifacts/.
# A crash, leak or hang exits non-zero. Replay one with:
#   fuzz/.build-fuzz/release/DecoderFuzzer fuzz/artifacts/crash-…
set -euo pipefail

smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi
seconds="${1:-300}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

# Swift's backtracer would catch the crash first and libFuzzer would write no reproducer.
export SWIFT_BACKTRACE=enable=no

# Not `--sanitize fuzzer --sanitize address`: SwiftPM passes those as two -sanitize= flags,
# swiftc keeps only the last, and the code loses its coverage instrumentation (libFuzzer
# then finds "no interesting inputs"). One comma-joined flag keeps both. lld, because gold
# warns about an ASan symbol it cannot export.
build=(swift build --scratch-path .build-fuzz -c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
"${build[@]}" --product DecoderFuzzer
fuzzer="$("${build[@]}" --show-bin-path)/DecoderFuzzer"

rm -rf seeds
# The seed values are globals still alive at exit(0): no leak check for this step.
ASAN_OPTIONS=detect_leaks=0 DECODER_FUZZ_WRITE_SEEDS="$here/seeds" "$fuzzer"
mkdir -p corpus artifacts

# -max_len: Ganesha's replies are a few KiB; longer inputs only slow each run down.
# -timeout: one decode taking 5 s is a hang. -rss_limit_mb: a runaway allocation is a finding.
options=(-max_len=8192 -timeout=5 -rss_limit_mb=2048 -artifact_prefix="$here/artifacts/" -print_final_stats=1)
if [ "$smoke" = 1 ]; then
    # A fresh corpus (the first directory is the one libFuzzer writes to): the same inputs each run.
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    "$fuzzer" "$scratch" seeds -seed=1 -runs=500000 -max_total_time=20 "${options[@]}"
else
    "$fuzzer" corpus seeds -max_total_time="$seconds" "${options[@]}"
fi
