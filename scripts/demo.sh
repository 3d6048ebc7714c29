#!/usr/bin/env bash
# Runs the tensorpool demo on a fresh Debian machine: installs the build packages (scripts/setup.sh), builds
# a Release tree in build-release/ and runs tp_demo with the arguments given, e.g.
#   ./scripts/demo.sh                    10 s of 1080x1920 uint16 frames at 100 Hz
#   ./scripts/demo.sh --duration 30 --max
#   ./scripts/demo.sh --help
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/setup.sh"

build="$root/build-release"
jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTP_BUILD_TESTS=OFF -DTP_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target tp_demo >/dev/null

exec "$build/tools/demo/tp_demo" "$@"
