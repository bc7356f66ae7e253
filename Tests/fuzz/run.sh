#!/usr/bin/env bash
# Builds taskr-fuzz with libFuzzer and AddressSanitizer and runs every fuzz
# target for SECONDS (default 60) each, starting from the seed corpus and
# the inputs that once crashed.
#
#   Tests/fuzz/run.sh [SECONDS] [TARGET…]
#
# What a run discovers stays in .build-fuzz/corpus/<target> for the next run.
# A crash stops that target, leaves its input in .build-fuzz/crashes/ and
# makes the script fail; replay it with
#   swift build --product taskr-fuzz && .build/debug/taskr-fuzz TARGET FILE
# and, once fixed, keep it in Tests/fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(form query cookies fastcgi-params attio-json)

scratch=.build-fuzz
# lld: gold fails on the sanitizer runtime with an internal error.
swift build --scratch-path "$scratch" --product taskr-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld \
    2>&1 | grep -v "Cannot export local symbol" | tail -n 3
binary="$scratch/debug/taskr-fuzz"

# -detect_leaks=0: LeakSanitizer's check at exit reports the harness's own
# long-lived values (Swift packs tag bits into pointers it keeps in enums, so
# LSan does not see them as reachable). Memory per input is bounded by
# -rss_limit_mb; leaks in the server are what the soak test measures.
mkdir -p "$scratch/crashes"
failed=()
for target in "${targets[@]}"; do
    work="$scratch/corpus/$target"
    mkdir -p "$work"
    echo "== fuzzing $target for ${seconds}s"
    # SWIFT_BACKTRACE: Swift's crash reporter reads the stack in a way ASan
    # reports as an underflow, hiding the real message; libFuzzer's suffices.
    if ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no TASKR_FUZZ_TARGET="$target" "$binary" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -detect_leaks=0 \
        -print_final_stats=1 -artifact_prefix="$scratch/crashes/$target-" \
        "$work" "Tests/fuzz/corpus/$target" "Tests/fuzz/regressions/$target" \
        >"$scratch/$target.log" 2>&1; then
        grep -E "^stat::number_of_executed_units|^Done" "$scratch/$target.log" | tr '\n' ' '
        echo
    else
        failed+=("$target")
        tail -n 40 "$scratch/$target.log"
        echo "!! $target crashed; the input is in $scratch/crashes/"
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found crashes in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzzing: ${#targets[@]} targets, ${seconds}s each, no crash"
