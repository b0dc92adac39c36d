#!/usr/bin/env bash
# End-to-end tests of `weft run heat`'s stop and restart path through mpirun:
#   heat_cli_test.sh WEFT MPIEXEC WORKDIR SCENARIO
# SCENARIO
#   usr1      SIGUSR1 to mpirun (forwarded to every rank): exit 75 with a checkpoint; a
#             restart on 4 ranks ends with the field of an uninterrupted 1-rank run.
#   term      SIGTERM to one rank only: the ranks agree, all stop after the same step,
#             exit 75; a restart on 2 ranks gives the uninterrupted field.
#   kill      SIGKILL to one rank: the job dies (no checkpoint at that moment); a restart
#             on 1 rank resumes from the newest complete checkpoint and gives the same field.
# Every launch is bounded by timeout; the paced run takes >= 3 s uninterrupted, the signal
# comes as soon as its first checkpoint exists.
set -u
weft=$1 mpiexec=$2 work=$3 scenario=$4
dir="$work/heat_$scenario"
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 1
common=(run heat --shape 40x36 --steps 150)
fail() { echo "FAIL ($scenario): $*"; for f in "$dir"/*.txt; do echo "--- $f"; head -c 3000 "$f"; done; exit 1; }
launch() {  # launch RANKS ARGS... : runs weft under mpirun, bounded
  local n=$1; shift
  timeout -k 5 60 "$mpiexec" -n "$n" --oversubscribe -q "$weft" "$@"
}
hash_of() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["extra"]["field_hash"])' "$1"; }

# The uninterrupted reference.
launch 1 "${common[@]}" --checkpoint-every 0 --output ref --json ref.json >ref.txt 2>&1 ||
  fail "reference run failed"
want=$(hash_of ref.json) || fail "no hash in ref.json"

# The paced run, interrupted.
ranks=2
timeout -k 5 60 "$mpiexec" -n "$ranks" --oversubscribe -q "$weft" "${common[@]}" \
  --checkpoint-every 10 --pace-ms 20 --output run >run.txt 2>run_err.txt &
job=$!
for _ in $(seq 1 400); do
  compgen -G "run.ckpt.*.h5" >/dev/null && break
  sleep 0.05
done
compgen -G "run.ckpt.*.h5" >/dev/null || fail "no checkpoint appeared"
mpirun_pid=$(pgrep -P "$job" | head -n 1)
rank_pid=$(pgrep -P "$mpirun_pid" | head -n 1)
[[ -n $mpirun_pid && -n $rank_pid ]] || fail "cannot find mpirun and its ranks"
case $scenario in
  usr1) kill -USR1 "$mpirun_pid" ;;
  term) kill -TERM "$rank_pid" ;;
  kill) kill -KILL "$rank_pid" ;;
  *) fail "unknown scenario" ;;
esac
start=$(date +%s)
wait "$job"
rc=$?
took=$(( $(date +%s) - start ))
[[ $took -le 15 ]] || fail "the stopped run took ${took}s to end"
if [[ $scenario == kill ]]; then
  [[ $rc -ne 0 && $rc -ne 75 ]] || fail "exit code $rc after SIGKILL, expected a failure"
  restart_ranks=1
else
  [[ $rc -eq 75 ]] || fail "exit code $rc, expected 75"
  grep -Eq "stopped by SIG[A-Z0-9]+ after step" run_err.txt || fail "no stop message"
  [[ $(grep -c '' run_err.txt) -eq 1 ]] || fail "stderr is not exactly one line"
  restart_ranks=$([[ $scenario == usr1 ]] && echo 4 || echo 2)
fi

# The restart, on another rank count.
launch "$restart_ranks" "${common[@]}" --checkpoint-every 10 --output run --restart \
  --json restart.json >restart.txt 2>&1 || fail "restart failed"
got=$(hash_of restart.json) || fail "no hash in restart.json"
from=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["extra"]["resumed_from_step"])' restart.json)
[[ $from -gt 0 ]] || fail "the restart did not resume from a checkpoint"
[[ $got == "$want" ]] || fail "field hash $got after restart, $want uninterrupted"
grep -q "validation: passed" restart.txt || fail "restart did not validate"
echo "ok ($scenario): stopped with rc $rc, resumed at step $from on $restart_ranks rank(s), field hash $got"
