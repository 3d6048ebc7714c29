#!/usr/bin/env bash
# Torn-read soak: one producer overwrites a small ring (8 slots, 4 KiB frames) as fast as it can while three
# consumers of different speeds copy every frame out (two halves with 0 / 2 / 50 us of busy work between them),
# check the slot is still intact and verify every byte of what they copied. Runs until the consumers have
# verified [frames] frames in total (default 10^7), then prints one line per consumer and a total.
#   usage: scripts/soak.sh [frames]
# Environment: TP_BUILD_DIR (default build; the needed targets are built when missing), SOAK_MAX_SECONDS (give up
# after this long, default frames/2000 + 60), SOAK_RATE (producer frames/s, default 0 = as fast as it can; on a
# loaded machine a producer spinning flat out starves the consumers it is meant to stress), SOAK_CONSUMER_IDLE
# (idle strategy of the consumers between polls, default spin). Exit 0 only when nothing bad was handed out and the total was
# reached; "bad" is a frame whose slot claimed to be intact after the copy but whose bytes, length or shape were
# wrong (a torn read), "late" one the seqlock caught being overwritten (discarded, as it must be).
set -u
cd "$(dirname "$0")/.."
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
    sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
    exit 0
fi
frames="${1:-10000000}"
case "$frames" in '' | *[!0-9]*) echo "usage: scripts/soak.sh [frames]" >&2; exit 2 ;; esac
[ "$frames" -ge 1 ] || { echo "soak: frames must be >= 1" >&2; exit 2; }
build="${TP_BUILD_DIR:-build}"
max_seconds="${SOAK_MAX_SECONDS:-$((frames / 2000 + 60))}"
md="$build/src/mediadriver/tp_mediadriver"
peer="$build/tests/reliability/tp_chaos_peer"
if [ ! -x "$md" ] || [ ! -x "$peer" ]; then
    [ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null || exit 2
    nice -n 10 cmake --build "$build" -j2 --target tp_mediadriver_bin tp_chaos_peer > /dev/null || exit 2
fi

dir=$(mktemp -d /dev/shm/tp-soak-XXXXXX) || exit 2
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2> /dev/null; done
    wait 2> /dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
# SIGINT / SIGTERM end the soak early but still stop everything cleanly and print the table (then exit 1).
interrupted=0
trap 'interrupted=1' INT TERM

export AERON_DIR="$dir/aeron" AERON_IPC_TERM_BUFFER_LENGTH=1m AERON_DIR_DELETE_ON_SHUTDOWN=true \
    AERON_CLIENT_LIVENESS_TIMEOUT=30s AERON_PUBLICATION_UNBLOCK_TIMEOUT=60s
"$md" > "$dir/md.log" 2>&1 &
md_pid=$!
pids+=("$md_pid")
for _ in $(seq 100); do [ -e "$AERON_DIR/cnc.dat" ] && break; sleep 0.05; done
[ -e "$AERON_DIR/cnc.dat" ] || { echo "soak: media driver did not start:"; cat "$dir/md.log"; exit 1; }

# A long media driver timeout: on a loaded machine a starved driver must not end the soak.
common=(-p "$AERON_DIR" --shm-dir "$dir/shm" --bytes 4096 --progress-ms 500 --driver-timeout-ms 60000)
rate="${SOAK_RATE:-0}"
# Consumers spin between polls (they run at the caller's nice level): a parked consumer misses the ring.
consumer_idle="${SOAK_CONSUMER_IDLE:-spin}"
works=(0 2000 50000)
cons=()
for i in 0 1 2; do
    "$peer" consumer "${common[@]}" --idle "$consumer_idle" --id $((101 + i)) --work-ns "${works[$i]}" > "$dir/c$i.log" 2> "$dir/c$i.err" &
    cons+=($!)
    pids+=($!)
done
"$peer" producer "${common[@]}" --slots 8 --rate "$rate" > "$dir/p.log" 2> "$dir/p.err" &
prod=$!
pids+=("$prod")

field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<< "$1"; }
start=$(date +%s)
status=0
while true; do
    sleep 1
    if [ $interrupted = 1 ]; then
        echo "soak: interrupted"
        status=1
        break
    fi
    total=0
    for i in 0 1 2; do
        line=$(grep -E '^progress ' "$dir/c$i.log" | tail -1)
        v=$(field "$line" verified)
        total=$((total + ${v:-0}))
    done
    elapsed=$(($(date +%s) - start))
    [ "$total" -ge "$frames" ] && break
    for p in "$prod" "${cons[@]}" "$md_pid"; do
        kill -0 "$p" 2> /dev/null || { echo "soak: process $p exited early"; status=1; }
    done
    [ $status -ne 0 ] && break
    if [ "$elapsed" -ge "$max_seconds" ]; then
        echo "soak: only $total of $frames frames verified after $elapsed s (SOAK_MAX_SECONDS=$max_seconds)"
        status=1
        break
    fi
done

# Stop the producer first, then the consumers (every wait bounded: 10 s, then SIGKILL and a failure).
stop() {
    kill -INT "$1" 2> /dev/null
    for _ in $(seq 200); do kill -0 "$1" 2> /dev/null || break; sleep 0.05; done
    if kill -0 "$1" 2> /dev/null; then
        echo "soak: process $1 did not stop within 10 s"
        kill -KILL "$1"
        status=1
    fi
    wait "$1" 2> /dev/null
    return $?
}
stop "$prod"
for i in 0 1 2; do
    stop "${cons[$i]}"
    rc=$?
    [ $rc -eq 0 ] || { echo "soak: consumer $i exited $rc:"; tail -5 "$dir/c$i.err"; status=1; }
done
stop "$md_pid"
elapsed=$(($(date +%s) - start))

sent=$(field "$(grep '^final' "$dir/p.log")" sent)
printf '%-10s %10s %12s %12s %10s %6s %12s\n' consumer work_ns received verified late bad gap
sum_v=0 sum_b=0 sum_l=0
for i in 0 1 2; do
    line=$(grep '^final' "$dir/c$i.log")
    v=$(field "$line" verified) b=$(field "$line" bad) l=$(field "$line" late)
    printf '%-10s %10s %12s %12s %10s %6s %12s\n' "c$i" "${works[$i]}" "$(field "$line" received)" "${v:-?}" \
        "${l:-?}" "${b:-?}" "$(field "$line" gap)"
    sum_v=$((sum_v + ${v:-0})) sum_b=$((sum_b + ${b:-1})) sum_l=$((sum_l + ${l:-0}))
done
echo "soak: producer sent ${sent:-?} frames (rate ${rate/#0/max}) in $elapsed s; consumers verified $sum_v, discarded $sum_l late, bad (torn) $sum_b"
[ "$sum_b" -eq 0 ] || status=1
[ "$sum_v" -ge "$frames" ] || status=1
[ $status -eq 0 ] && echo "soak: PASS" || echo "soak: FAIL"
exit $status
