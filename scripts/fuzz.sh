#!/usr/bin/env bash
# Build the libFuzzer targets (clang, -DTP_FUZZ=ON: ASan + UBSan + coverage, in build-fuzz) and run each one for
# the given number of executions (default 100000), one after the other in this process (no -jobs: one core).
# Prints one line per target (executions, coverage, result) and exits non-zero if any target crashed. Crash
# inputs land in build-fuzz/fuzz-artifacts/<target>/; replay one with build-fuzz/tests/fuzz/fuzz_<t> <file>.
# Not part of CI: coverage-guided fuzzing is open-ended; ctest replays every harness deterministically instead.
#   usage: scripts/fuzz.sh [runs] [target...]     (FUZZ_MAX_TIME=<s> also caps each target's time)
set -u
cd "$(dirname "$0")/.."
runs="${1:-100000}"
shift || true
build=build-fuzz

mkdir -p "$build"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTP_FUZZ=ON -DTP_BUILD_BENCH=OFF \
    > "$build/fuzz-configure.log" 2>&1 || { cat "$build/fuzz-configure.log"; exit 2; }

all_targets=(shm_uri aeron_uri parse_util control_messages driver_config driver_core driver_client discovery_provider
    control_listen shm_headers sbe_decode)
targets=("${@:-${all_targets[@]}}")
build_list=()
for t in "${targets[@]}"; do
    build_list+=("fuzz_$t")
    [ "$t" != sbe_decode ] && build_list+=("fuzz_${t}_replay")
done
cmake --build "$build" -j2 --target "${build_list[@]}" > "$build/fuzz-build.log" 2>&1 || { tail -40 "$build/fuzz-build.log"; exit 2; }

# UB is a crash, not a warning; leaks are checked by libFuzzer itself.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
failed=0
printf '%-20s %12s %8s %8s %s\n' target execs cov ft result
for t in "${targets[@]}"; do
    corpus="$build/fuzz-corpus/$t"
    artifacts="$build/fuzz-artifacts/$t/"
    mkdir -p "$corpus" "$artifacts"
    if [ "$t" = sbe_decode ]; then
        exe="$build/tests/sbe/fuzz_sbe_decode"
        extra=("$build/tests/sbe/fuzz_corpus")
    else
        exe="$build/tests/fuzz/fuzz_$t"
        "$build/tests/fuzz/fuzz_${t}_replay" --dump-seeds "$corpus" > /dev/null
        extra=()
        [ -d "tests/fuzz/corpus/$t" ] && extra=("tests/fuzz/corpus/$t")
    fi
    log="$build/fuzz-$t.log"
    "$exe" -runs="$runs" ${FUZZ_MAX_TIME:+-max_total_time=$FUZZ_MAX_TIME} -seed=1 -print_final_stats=1 -artifact_prefix="$artifacts" \
        "$corpus" "${extra[@]}" > "$log" 2>&1
    rc=$?
    # Every status line reads "#<execs> <event> cov: <n> ft: <n> ..."; the last one is the final state.
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    execs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}')
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
    if [ $rc -eq 0 ]; then
        result=ok
    else
        result="CRASH (exit $rc, see $log and $artifacts)"
        failed=1
    fi
    printf '%-20s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $failed
