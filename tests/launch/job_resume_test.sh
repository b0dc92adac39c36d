#!/usr/bin/env bash
# A checkpointing kernel step that runs out of time: the launcher's limit sends SIGTERM,
# heat writes a checkpoint and exits 75, the job exits 75; the rerun continues it with
# --restart by itself (not from step 0) and finishes; a third run reuses it.
#   job_resume_test.sh WEFT WORK
set -uo pipefail
weft=$1 work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
cat > heat.toml <<'EOF'
name = "resume"
time_limit = "4s"
[resources]
ranks = 2
[binding]
oversubscribe = true
[[step]]
name = "heat"
kernel = "heat"
params = { shape = "64x64", steps = 60, pace-ms = 100, checkpoint-every = 10, output = "{output}/heat" }
EOF
timeout -k 5 60 "$weft" job run heat.toml --results r > first.out 2>&1
rc=$?
[[ $rc == 75 ]] || { cat first.out; fail "the time-limited run exited $rc, not 75"; }
grep -q "heat timed-out" first.out || { cat first.out; fail "not reported as timed out"; }
grep -q '"status": "timed-out"' r/runs/heat.state.json || fail "state is not timed-out"
# Reruns continue from the newest checkpoint until the 60 steps are done (at most 4 tries
# on a loaded machine; each makes progress).
for try in 1 2 3 4; do
  timeout -k 5 60 "$weft" job run heat.toml --results r > "rerun$try.out" 2>&1
  rc=$?
  grep -q "resuming from its checkpoint (--restart)" "rerun$try.out" || {
    cat "rerun$try.out"; fail "rerun $try did not resume"; }
  grep -q -- "\"--restart\"" r/provenance.json || fail "the command of rerun $try lacks --restart"
  [[ $rc == 0 ]] && break
  [[ $rc == 75 ]] || { cat "rerun$try.out"; fail "rerun $try exited $rc"; }
done
[[ $rc == 0 ]] || fail "four reruns did not finish 60 steps"
grep -q "resuming from .*heat.ckpt.* at step [1-9]" r/runs/heat.log || { cat r/runs/heat.log; fail "heat did not restart from a checkpoint"; }
python3 - <<'PY' || exit 1
import json
rec = json.load(open("r/runs/heat.json"))
assert rec["validation"]["passed"], rec["validation"]
assert rec["parameters"]["steps"] == 60, rec["parameters"]
print("ok: resumed heat finished and validated")
PY
timeout -k 5 60 "$weft" job run heat.toml --results r > last.out 2>&1 || fail "third run"
grep -q "heat: passed on .*; reused" last.out || { cat last.out; fail "the finished run was not reused"; }
echo "ok: a timed-out checkpointing step resumes"
