#!/usr/bin/env bash
# Every program we ship or build takes -h and --help: usage on stdout, exit status 0, and it returns at once
# (a program that ignores its arguments would start working instead; the per-run timeout catches that).
#   test_help.sh PROGRAM...
set -u
failures=0
for program in "$@"; do
    for flag in --help -h; do
        out="$(timeout 10 "$program" "$flag" </dev/null 2>/dev/null)"
        status=$?
        if [ "$status" -ne 0 ]; then
            echo "FAIL: $program $flag exited with status $status"
            failures=$((failures + 1))
        elif [ -z "$out" ]; then
            echo "FAIL: $program $flag printed no usage on stdout"
            failures=$((failures + 1))
        else
            echo "ok: $program $flag"
        fi
    done
done
if [ "$#" -eq 0 ]; then
    echo "FAIL: no programs given"
    exit 1
fi
[ "$failures" -eq 0 ]
