#!/usr/bin/env bash
# The project's test command: installs what is missing, builds with gcc and runs the whole ctest suite, then
# does the same in an AddressSanitizer + UndefinedBehaviorSanitizer build and in a clang build (warnings are
# errors with both compilers). Last, it only builds (no ctest) plain Release trees with gcc and clang: -O2/-O3
# inlining enables warnings (e.g. -Wmaybe-uninitialized) that the RelWithDebInfo builds do not see.
#   scripts/test.sh            all three test passes and both Release builds
#   TP_TEST_SANITIZE=0 ...     skip the sanitizer build
#   TP_TEST_CLANG=0 ...        skip the clang build
#   TP_TEST_RELEASE=0 ...      skip the two Release builds
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/setup.sh"

jobs="$(nproc 2>/dev/null || echo 2)"

run_suite() {
    local dir="$1"; shift
    cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

echo "== gcc build (build/) =="
CC=gcc run_suite "$root/build"

if [ "${TP_TEST_SANITIZE:-1}" != "0" ]; then
    echo "== ASan+UBSan build (build-asan/) =="
    ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        CC=gcc run_suite "$root/build-asan" -DTP_SANITIZE=ON -DTP_BUILD_BENCH=OFF
fi

if [ "${TP_TEST_CLANG:-1}" != "0" ]; then
    echo "== clang build (build-clang/) =="
    CC=clang run_suite "$root/build-clang"
fi

build_release() {
    local dir="$1"
    cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$dir" -j "$jobs"
}

if [ "${TP_TEST_RELEASE:-1}" != "0" ]; then
    echo "== gcc Release build, build only (build-release-gcc/) =="
    CC=gcc build_release "$root/build-release-gcc"
    echo "== clang Release build, build only (build-release-clang/) =="
    CC=clang build_release "$root/build-release-clang"
fi
