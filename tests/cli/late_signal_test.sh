#!/usr/bin/env bash
# A checkpoint request (SIGUSR1) that reaches `weft run` while no step loop runs (here a
# kernel without checkpoints, as a time-limited step's last moments would be) is dropped:
# the run finishes and validates instead of dying of the signal (exit 138).
#   late_signal_test.sh WEFT
set -u
weft=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$weft" run nstream --length 4000000 --iterations 400 >"$out" 2>&1 &
pid=$!
# A time limit that signals weft itself; its output goes nowhere, so that ctest does not
# wait for its sleep once the test is over.
( sleep 100 && kill -KILL "$pid" ) >/dev/null 2>&1 &
guard=$!
sleep 1.5
kill -USR1 "$pid" 2>/dev/null
wait "$pid"
rc=$?
pkill -P "$guard" sleep 2>/dev/null
kill "$guard" 2>/dev/null
grep -q "validation: passed" "$out" || { cat "$out"; echo "FAIL: no validated record (rc $rc)"; exit 1; }
[[ $rc == 0 ]] || { cat "$out"; echo "FAIL: exit $rc after SIGUSR1, expected 0"; exit 1; }
echo "ok: SIGUSR1 outside a step loop left the run to finish"
