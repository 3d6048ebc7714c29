#!/usr/bin/env bash
# tensorpool vs iceoryx 2.0 on the same workloads, with raw floors measured in the same run (issue 12):
# builds a Release tree in build-release-compare/, starts iox-roudi (with a mempool config sized for the
# frames) and our tp_mediadriver in a scratch dir under /dev/shm, runs tp_iox_compare, prints its table and
# removes everything it started or created. Arguments go to tp_iox_compare, e.g.
#   ./scripts/bench_compare.sh              3 rounds (a few minutes; tp_iox_compare --help lists the options)
#   ./scripts/bench_compare.sh -q           quick: 2 short rounds
#   ./scripts/bench_compare.sh -r 5 -t 2    5 rounds of 2 s rate runs
#   ./scripts/bench_compare.sh -w RTT       only the workloads whose label contains RTT
# Needs Debian's iceoryx packages: apt-get install iceoryx libiceoryx-binding-c-dev.
# Any failure of either side (RouDi, the media driver, a benchmark process) ends it with a message and a
# non-zero exit status.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

for arg in "$@"; do
    if [ "$arg" = "-h" ] || [ "$arg" = "--help" ]; then
        sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
    fi
done

fail() {
    echo "bench_compare: $*" >&2
    exit 1
}

command -v iox-roudi >/dev/null || fail "iox-roudi not found: apt-get install iceoryx libiceoryx-binding-c-dev"
# RouDi's shared memory and sockets have fixed names: a second RouDi cannot run beside one already running.
if pgrep -x iox-roudi >/dev/null; then
    fail "an iox-roudi is already running (pid $(pgrep -x iox-roudi | tr '\n' ' ')): stop it first"
fi
if [ -e /dev/shm/iceoryx_mgmt ]; then
    fail "stale RouDi shared memory from a run that did not end cleanly: remove /dev/shm/iceoryx_mgmt and /dev/shm/$(id -un)"
fi

build="${TP_COMPARE_BUILD_DIR:-$root/build-release-compare}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTP_BUILD_TESTS=OFF >"$build.cmake.log" 2>&1 ||
    fail "cmake configure failed, see $build.cmake.log"
grep -q "building tp_iox_compare" "$build.cmake.log" ||
    fail "CMake did not find the iceoryx C binding (see $build.cmake.log): apt-get install libiceoryx-binding-c-dev"
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target tp_iox_compare tp_mediadriver_bin \
    >"$build.build.log" 2>&1 || fail "build failed, see $build.build.log"
rm -f "$build.cmake.log" "$build.build.log"

scratch="$(mktemp -d /dev/shm/tp-compare-XXXXXX)"
roudi_pid=""
driver_pid=""
cleanup() {
    local rc=$?
    if [ -n "$driver_pid" ] && kill -0 "$driver_pid" 2>/dev/null; then
        kill -TERM "$driver_pid" 2>/dev/null || true
        wait "$driver_pid" 2>/dev/null || true
    fi
    if [ -n "$roudi_pid" ]; then
        if kill -0 "$roudi_pid" 2>/dev/null; then
            kill -TERM "$roudi_pid" 2>/dev/null || true
            wait "$roudi_pid" 2>/dev/null || true
        fi
        # Our RouDi created these (they did not exist at start); it does not always remove them itself.
        if ! pgrep -x iox-roudi >/dev/null; then
            rm -f /dev/shm/iceoryx_mgmt "/dev/shm/$(id -un)"
        fi
    fi
    rm -rf "$scratch"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Mempools for the frames (a chunk carries a header beside the payload: 4 KiB of headroom on the large ones).
# 8 MiB x 24 + 1 MiB x 40 is about 240 MiB of /dev/shm while RouDi runs.
cat >"$scratch/roudi.toml" <<'EOF'
[general]
version = 1

[[segment]]

[[segment.mempool]]
size = 128
count = 1024

[[segment.mempool]]
size = 8192
count = 1024

[[segment.mempool]]
size = 1052672
count = 40

[[segment.mempool]]
size = 8392704
count = 24
EOF

# Process monitoring off: on a loaded machine a starved benchmark process would miss RouDi's heartbeat deadline
# and lose its ports mid-run (every process here shuts its runtime down cleanly).
iox-roudi -c "$scratch/roudi.toml" -l info -m off >"$scratch/roudi.log" 2>&1 &
roudi_pid=$!
for _ in $(seq 100); do
    grep -q "RouDi is ready" "$scratch/roudi.log" 2>/dev/null && break
    kill -0 "$roudi_pid" 2>/dev/null || { cat "$scratch/roudi.log" >&2; fail "iox-roudi exited at start"; }
    sleep 0.1
done
grep -q "RouDi is ready" "$scratch/roudi.log" || { cat "$scratch/roudi.log" >&2; fail "iox-roudi not ready in 10 s"; }

export AERON_DIR="$scratch/aeron"
# Generous liveness: on a loaded machine a starved client must not be declared dead mid-run.
AERON_IPC_TERM_BUFFER_LENGTH="${AERON_IPC_TERM_BUFFER_LENGTH:-2m}" AERON_DIR_DELETE_ON_SHUTDOWN=true \
    AERON_CLIENT_LIVENESS_TIMEOUT="${AERON_CLIENT_LIVENESS_TIMEOUT:-60s}" AERON_PUBLICATION_UNBLOCK_TIMEOUT=90s \
    "$build/src/mediadriver/tp_mediadriver" >"$scratch/driver.log" 2>&1 &
driver_pid=$!
for _ in $(seq 100); do
    [ -e "$AERON_DIR/cnc.dat" ] && break
    kill -0 "$driver_pid" 2>/dev/null || { cat "$scratch/driver.log" >&2; fail "tp_mediadriver exited at start"; }
    sleep 0.1
done
[ -e "$AERON_DIR/cnc.dat" ] || fail "tp_mediadriver did not create $AERON_DIR/cnc.dat in 10 s"

mkdir "$scratch/shm"
echo "bench_compare: $(iox-roudi --version 2>/dev/null | head -1 || true); $(nproc) CPUs; $(uname -r)"
status=0
"$build/bench/compare/tp_iox_compare" -s "$scratch/shm" -p "$AERON_DIR" "$@" || status=$?
for pid in "$roudi_pid" "$driver_pid"; do
    kill -0 "$pid" 2>/dev/null || { status=1; echo "bench_compare: a server (pid $pid) died during the run" >&2; }
done
[ "$status" -eq 0 ] || fail "tp_iox_compare failed (exit status $status): the table above is incomplete"
