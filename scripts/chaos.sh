#!/usr/bin/env bash
# Crash matrix: a running system (tp_mediadriver, a producer and two consumers of tests/reliability/tp_chaos_peer,
# and in "driver" blocks the SHM driver tp_driver owning the regions) is hit, once per iteration, by SIGKILL or by
# SIGSTOP + SIGCONT of one process picked at random, at a random moment, or (direct mode, one iteration in five) by
# the truncation of the live payload pool file under every mapping of it. The producer pauses inside every frame
# (--pause-ns: after the claim, with half its payload torn, and again before the commit), so most kills of it land
# between claim and commit with a half-written payload. Blocks of 10 iterations alternate standalone ("direct")
# and driver mode; each block starts a fresh system and ends with a clean shutdown.
#   usage: scripts/chaos.sh [iterations] [seed]        (defaults 20 and 1)
# Invariants checked after every iteration, any violation fails the run (exit 1):
#   - no consumer was handed a bad frame (torn, wrong length or shape: tp_chaos_peer exit 3 / bad=N);
#   - every process not hit either still runs or exited non-zero with an error message on stderr; every killed or
#     exited process is restarted, and then every consumer verifies new frames within RECOVER_S seconds;
#   - nothing hangs: every wait is bounded, and the clean shutdown at the end of a block takes < 10 s per process;
#   - after that shutdown no region file, epoch directory or Aeron directory is left;
#   - VmRSS of a process that survives a whole block grows by less than RSS_LIMIT_KB (default 8192).
# Environment: TP_BUILD_DIR (default build), RECOVER_S (default 30), CHAOS_BLOCK (iterations per block, 10),
# CHAOS_TIMEOUT_MS (the clients' media driver timeout and the media driver's client liveness timeout, default 4000;
# SIGSTOP lasts 0.2 s to twice that, so a frozen process sometimes outlives it).
set -u
cd "$(dirname "$0")/.."
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
    sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
    exit 0
fi
iterations="${1:-20}"
seed="${2:-1}"
case "$iterations$seed" in *[!0-9]*) echo "usage: scripts/chaos.sh [iterations] [seed]" >&2; exit 2 ;; esac
build="${TP_BUILD_DIR:-build}"
recover_s="${RECOVER_S:-30}"
# Media driver timeout of the clients and client liveness timeout of the media driver.
timeout_ms="${CHAOS_TIMEOUT_MS:-4000}"
block="${CHAOS_BLOCK:-10}"
rss_limit_kb="${RSS_LIMIT_KB:-8192}"
md_bin="$build/src/mediadriver/tp_mediadriver"
drv_bin="$build/src/driver/tp_driver"
peer_bin="$build/tests/reliability/tp_chaos_peer"
if [ ! -x "$md_bin" ] || [ ! -x "$drv_bin" ] || [ ! -x "$peer_bin" ]; then
    [ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null || exit 2
    nice -n 10 cmake --build "$build" -j2 --target tp_mediadriver_bin tp_driver_bin tp_chaos_peer > /dev/null || exit 2
fi
RANDOM=$seed

root=$(mktemp -d /dev/shm/tp-chaos-XXXXXX) || exit 2
logs="$root/logs"
mkdir -p "$logs"
declare -A pid name_of log_of rss0
failures=0
cleanup() {
    for n in "${!pid[@]}"; do kill -KILL "${pid[$n]}" 2> /dev/null; done
    wait 2> /dev/null
    if [ "${CHAOS_KEEP_LOGS:-0}" = 1 ]; then echo "chaos: logs kept in $logs"; else rm -rf "$root"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "chaos: iteration $it: FAIL: $*"
    failures=$((failures + 1))
}
now_ms() { date +%s%3N; }
field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<< "$1"; }
seq_no=0

# start <name>: (re)start one process of the topology; its output goes to a fresh log pair.
start() {
    local n=$1 out
    seq_no=$((seq_no + 1))
    out="$logs/$n.$seq_no"
    log_of[$n]=$out
    local peer_common=(-p "$AERON_DIR" --shm-dir "$dir/shm" --bytes 4096 --driver-timeout-ms "$timeout_ms")
    [ "$mode" = driver ] && peer_common+=(--driver)
    case $n in
        md) "$md_bin" > "$out.out" 2> "$out.err" & ;;
        drv) "$drv_bin" --config "$dir/driver.toml" -q > "$out.out" 2> "$out.err" & ;;
        prod) "$peer_bin" producer "${peer_common[@]}" --slots 8 --rate 0 --pause-ns 200000 > "$out.out" 2> "$out.err" & ;;
        c0) "$peer_bin" consumer "${peer_common[@]}" --id 101 > "$out.out" 2> "$out.err" & ;;
        c1) "$peer_bin" consumer "${peer_common[@]}" --id 102 --work-ns 20000 > "$out.out" 2> "$out.err" & ;;
    esac
    pid[$n]=$!
    rss0[$n]=""
    if [ "$n" = md ]; then
        for _ in $(seq 200); do [ -e "$AERON_DIR/cnc.dat" ] && break; sleep 0.05; done
    fi
}

verified_of() { local l; l=$(grep -E '^(progress|final) ' "${log_of[$1]}.out" 2> /dev/null | tail -1); field "$l" verified; }
bad_of() { grep -hE '^(progress|final) ' "$1".out 2> /dev/null | sed -n 's/.* bad=\([0-9]*\).*/\1/p' | sort -n | tail -1; }
alive() { kill -0 "${pid[$1]}" 2> /dev/null && [ "$(awk '{print $3}' "/proc/${pid[$1]}/stat" 2> /dev/null)" != Z ]; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/${pid[$1]}/status" 2> /dev/null; }

# Reap a process that has exited and check it left an error message (a clean, explained exit) and no bad frame.
reaped() {
    local n=$1 rc
    wait "${pid[$n]}" 2> /dev/null
    rc=$?
    if [ $rc -eq 3 ]; then
        fail "$n exited 3: it was handed a bad frame"
    elif [ $rc -gt 128 ]; then
        fail "$n died of signal $((rc - 128))"
    elif [ $rc -ne 0 ] && [ ! -s "${log_of[$n]}.err" ]; then
        fail "$n exited $rc without an error message"
    fi
    exits=$((exits + 1))
    [ -n "$verbose" ] && echo "  $n exited $rc: $(tail -1 "${log_of[$n]}.err" 2> /dev/null)"
    unset 'pid[$n]'
}

# Wait until every consumer has verified a frame it had not verified at the call, up to RECOVER_S; sets flow_ms.
# A process that exits meanwhile (say a client whose media driver was starved past the driver timeout on a loaded
# machine) must have said why; it is restarted and the wait goes on, within the same bound.
await_flow() {
    local -A base_log base
    local t0 n v
    t0=$(now_ms)
    for n in c0 c1; do
        base_log[$n]=${log_of[$n]}
        base[$n]=$(verified_of "$n")
        base[$n]=${base[$n]:-0}
    done
    while true; do
        local ok=1
        for n in c0 c1; do
            v=$(verified_of "$n")
            [ "${log_of[$n]}" = "${base_log[$n]}" ] || base[$n]=0
            [ "${v:-0}" -gt "${base[$n]}" ] || ok=0
        done
        flow_ms=$(($(now_ms) - t0))
        [ $ok = 1 ] && return 0
        [ $flow_ms -ge $((recover_s * 1000)) ] && return 1
        for n in $(procs); do
            if [ -n "${pid[$n]:-}" ] && ! alive "$n"; then reaped "$n"; fi
        done
        for n in $(procs); do [ -n "${pid[$n]:-}" ] || start "$n"; done
        sleep 0.1
    done
}

procs() { if [ "$mode" = driver ]; then echo md drv prod c0 c1; else echo md prod c0 c1; fi; }

start_block() {
    dir="$root/run$((it / block))"
    mkdir -p "$dir/shm"
    export AERON_DIR="$dir/aeron" AERON_IPC_TERM_BUFFER_LENGTH=256k AERON_DIR_DELETE_ON_SHUTDOWN=true \
        AERON_DIR_DELETE_ON_START=true AERON_CLIENT_LIVENESS_TIMEOUT="${timeout_ms}ms"
    cat > "$dir/driver.toml" << TOML
[driver]
instance_id = "chaos"
aeron_dir = "$AERON_DIR"
control_channel = "aeron:ipc"
announce_channel = "aeron:ipc"
qos_channel = "aeron:ipc"
[shm]
base_dir = "$dir/shm"
permissions_mode = "600"
[policies]
announce_period_ms = 200
lease_keepalive_interval_ms = 1000
lease_expiry_grace_intervals = 3
prefault_shm = false
epoch_gc_enabled = true
epoch_gc_keep = 1
epoch_gc_min_age_ns = 0
epoch_gc_on_startup = true
shutdown_timeout_ms = 500
[profiles.small]
header_nslots = 8
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[streams.chaos]
stream_id = 10
profile = "small"
TOML
    for n in $(procs); do start "$n"; done
    if ! await_flow; then
        fail "$mode system did not start within $recover_s s"
        return 1
    fi
    return 0
}

# Clean shutdown (SIGINT, clients first) with a bounded wait, then nothing may be left behind.
end_block() {
    local n order
    if [ "$mode" = driver ]; then order="prod c0 c1 drv md"; else order="prod c0 c1 md"; fi
    for n in $order; do
        [ -n "${pid[$n]:-}" ] || continue
        if [ -n "${rss0[$n]}" ] && alive "$n"; then
            local r
            r=$(rss_kb "$n")
            local growth=$((${r:-0} - ${rss0[$n]}))
            [ $growth -gt "$max_growth" ] && max_growth=$growth
            [ $growth -gt "$rss_limit_kb" ] && fail "$n VmRSS grew by $growth kB over the block (${rss0[$n]} -> $r)"
        fi
        kill -INT "${pid[$n]}" 2> /dev/null
        for _ in $(seq 200); do alive "$n" || break; sleep 0.05; done
        if alive "$n"; then
            fail "$n did not shut down within 10 s"
            kill -KILL "${pid[$n]}"
        fi
        wait "${pid[$n]}" 2> /dev/null
        local rc=$?
        [ $rc -eq 3 ] && fail "$n was handed a bad frame"
        unset 'pid[$n]'
    done
    local left
    left=$(find "$dir/shm" -mindepth 1 2> /dev/null | head -5)
    [ -n "$left" ] && fail "left behind after a clean shutdown ($mode): $left"
    [ -e "$AERON_DIR" ] && fail "Aeron directory $AERON_DIR left behind after a clean shutdown"
    for f in "$logs"/c*.out; do
        local b
        b=$(bad_of "${f%.out}")
        [ "${b:-0}" -gt 0 ] && fail "$(basename "$f" .out) reported bad=$b"
    done
    rm -rf "$dir"
}

verbose="${CHAOS_VERBOSE:-}"
declare -A tally
exits=0
max_growth=0
max_recover_ms=0
sum_recover_ms=0
recoveries=0
mode=direct
it=0
echo "chaos: $iterations iterations, seed $seed, blocks of $block, recovery bound $recover_s s, logs in $logs"
while [ $it -lt "$iterations" ]; do
    if [ $((it % block)) -eq 0 ]; then
        [ $it -gt 0 ] && end_block
        if [ $(((it / block) % 2)) -eq 0 ]; then mode=direct; else mode=driver; fi
        start_block || break
    fi
    # Sample RSS of every process once it has run through one iteration (baseline after warm-up).
    for n in $(procs); do
        [ -n "${pid[$n]:-}" ] && [ -z "${rss0[$n]}" ] && alive "$n" && rss0[$n]=$(rss_kb "$n")
    done
    victims=($(procs))
    victim=${victims[$((RANDOM % ${#victims[@]}))]}
    if [ $((RANDOM % 2)) -eq 0 ]; then action=kill; else action=stop; fi
    # Direct mode, one time in five: a third party truncates the live payload pool under everyone's mapping.
    if [ "$mode" = direct ] && [ $((RANDOM % 5)) -eq 0 ]; then action=truncate victim=pool; fi
    delay_ms=$((RANDOM % 500))
    stop_ms=$((200 + RANDOM % (2 * timeout_ms)))
    sleep "$(printf '0.%03d' "$delay_ms")"
    tally["$mode $victim $action"]=$((${tally["$mode $victim $action"]:-0} + 1))
    if [ -n "$verbose" ]; then
        what="after $delay_ms ms"
        [ "$action" = stop ] && what="$what, for $stop_ms ms"
        echo "iteration $it: $mode $action $victim ($what)"
    fi
    if [ "$action" = kill ]; then
        kill -KILL "${pid[$victim]}"
        wait "${pid[$victim]}" 2> /dev/null
        unset 'pid[$victim]'
    elif [ "$action" = truncate ]; then
        pool=$(ls -t "$dir"/shm/*/*/epoch-*/payload-1.pool 2> /dev/null | head -1)
        [ -n "$pool" ] && truncate -s 0 "$pool"
        sleep 0.5
        # The producer's own mapping of the file it created is not guarded: writing to it raises SIGBUS and the
        # producer dies (exit 135). That, and nothing else, is expected; the consumers must live on.
        if [ -n "${pid[prod]:-}" ] && ! alive prod; then
            wait "${pid[prod]}" 2> /dev/null
            rc=$?
            [ $rc -eq 135 ] || [ -s "${log_of[prod]}.err" ] || fail "producer exited $rc after the truncation"
            unset 'pid[prod]'
        fi
    else
        kill -STOP "${pid[$victim]}"
        sleep "$((stop_ms / 1000)).$(printf '%03d' $((stop_ms % 1000)))"
        kill -CONT "${pid[$victim]}"
    fi
    # Without its media driver a client gives up after its driver timeout: wait for that, bounded.
    if [ "$action" = kill ] && [ "$victim" = md ]; then
        t0=$(now_ms)
        for n in $(procs); do
            [ -n "${pid[$n]:-}" ] || continue
            while alive "$n" && [ $(($(now_ms) - t0)) -lt $((timeout_ms + 8000)) ]; do sleep 0.1; done
            if alive "$n"; then
                fail "$n still runs $((timeout_ms + 8000)) ms after its media driver was killed"
                kill -KILL "${pid[$n]}"
                wait "${pid[$n]}" 2> /dev/null
                unset 'pid[$n]'
            else
                reaped "$n"
            fi
        done
    else
        sleep 0.5
    fi
    # Anything else that exited must have said why; then restart whatever is down, media driver first.
    for n in $(procs); do
        if [ -n "${pid[$n]:-}" ] && ! alive "$n"; then reaped "$n"; fi
    done
    for n in $(procs); do [ -n "${pid[$n]:-}" ] || start "$n"; done
    if await_flow; then
        recoveries=$((recoveries + 1))
        sum_recover_ms=$((sum_recover_ms + flow_ms))
        [ "$flow_ms" -gt $max_recover_ms ] && max_recover_ms=$flow_ms
    else
        fail "frames did not flow again within $recover_s s after $action $victim ($mode)"
        for n in $(procs); do echo "    $n: $(tail -1 "${log_of[$n]}.err" 2> /dev/null)"; done
    fi
    for n in c0 c1; do
        b=$(bad_of "${log_of[$n]}")
        [ "${b:-0}" -gt 0 ] && fail "$n reported bad=$b after $action $victim"
    done
    it=$((it + 1))
    [ -z "$verbose" ] && [ $((it % 10)) -eq 0 ] && echo "chaos: $it/$iterations iterations, $failures failures"
done
[ -n "${pid[md]:-}" ] && end_block

echo "chaos: matrix (mode victim action: count)"
for k in "${!tally[@]}"; do echo "  $k: ${tally[$k]}"; done | sort
echo "chaos: $it iterations, $failures failures; $exits explained exits of survivors; recovery after restart:" \
    "mean $((recoveries > 0 ? sum_recover_ms / recoveries : 0)) ms, max $max_recover_ms ms (bound $recover_s s);" \
    "max VmRSS growth of a block survivor $max_growth kB"
[ $failures -eq 0 ] && [ "$it" -eq "$iterations" ] && { echo "chaos: PASS"; exit 0; }
echo "chaos: FAIL"
exit 1
