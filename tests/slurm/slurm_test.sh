#!/usr/bin/env bash
# `weft job submit` against a real Slurm: a 2-task job, a 2-point job array and a user's
# program (built by a command step, its figures read at collect), each chained to a collect job; waits for them and checks the collected results.
#   slurm_test.sh WEFT SPECS_DIR WORK_DIR
# Without a reachable Slurm it skips (exit 77), unless WEFT_REQUIRE_SLURM=1 (make
# test-slurm, which starts one with scripts/slurm-local).
set -uo pipefail
weft=$1 specs=$2 work=$3
if ! timeout -k 2 5 sinfo --noheader >/dev/null 2>&1; then
  if [[ "${WEFT_REQUIRE_SLURM:-0}" == 1 ]]; then
    echo "FAIL: no Slurm reachable (SLURM_CONF=${SLURM_CONF:-unset})"; exit 1
  fi
  echo "skipped: no Slurm reachable (scripts/slurm-local start, or make test-slurm)"; exit 77
fi
set -e
rm -rf "$work"
mkdir -p "$work"
cd "$work"
for name in two-task array program; do
  timeout -k 5 60 "$weft" job submit "$specs/$name.toml" --results "$work/$name" | tee "$work/$name.submit"
done
fail=0
for name in two-task array program; do
  if ! timeout -k 5 300 "$weft" job status "$specs/$name.toml" --results "$work/$name" --wait --timeout 240; then
    echo "FAIL: $name did not complete"; fail=1
    for f in "$work/$name"/slurm/*.out "$work/$name"/slurm/*.err; do echo "--- $f"; tail -n 20 "$f"; done
  fi
done
[[ $fail -eq 0 ]] || exit 1
python3 - "$work" <<'PY'
import csv, json, os, sys
work = sys.argv[1]
def results(name):
    base = os.path.join(work, name)
    rows = list(csv.DictReader(open(os.path.join(base, "summary.csv"))))
    prov = json.load(open(os.path.join(base, "provenance.json")))
    assert prov["launcher"] == "slurm", prov.get("launcher")
    assert "collected_by_job" in prov, "summary was not written by the chained collect job"
    return base, rows, prov

base, rows, prov = results("two-task")
kernel = [r for r in rows if r["kind"] == "kernel"]
assert [(r["run"], r["ranks"], r["validation"]) for r in kernel] == [("bandwidth", "2", "passed")], kernel
rec = json.load(open(os.path.join(base, "runs/bandwidth.json")))
assert rec["layout"]["ranks"] == 2 and rec["job"]["step"] == "bandwidth", rec["layout"]
assert rec["provenance"].get("slurm_job_id"), "the run did not see its Slurm job id"
args = open(os.path.join(base, "args.txt"), encoding="utf-8").read().split("\n")[:-1]
want = ["$(touch {0}/pwned1)", "`touch {0}/pwned2`", "x; touch {0}/pwned3", "it's a \"test\"", "ünïcødé ✓"]
want = [w.replace("{0}", base) for w in want]
assert args == want, (args, want)
pwned = [f for f in os.listdir(base) if f.startswith("pwned")] + [f for f in os.listdir(work) if f.startswith("pwned")]
assert not pwned, pwned
steps = [j["step"] for j in prov["slurm_jobs"]]
assert steps == ["bandwidth", "args", "collect"], steps

base, rows, prov = results("array")
assert [(r["run"], r["ranks"], r["validation"]) for r in rows] == [("layouts-p0", "1", "passed"), ("layouts-p1", "2", "passed")], rows
script = open(os.path.join(base, "slurm/slurm-array-layouts.sbatch")).read()
assert "#SBATCH --array=0-1" in script and "mpirun -q -n 2" in script, script
outs = [f for f in os.listdir(os.path.join(base, "slurm")) if f.endswith(".out") and "_" in f]
assert len(outs) == 2, outs
base, rows, prov = results("program")
ring = [r for r in rows if r["kind"] == "program"]
assert [(r["run"], r["ranks"], r["validation"], r["verdict"]) for r in ring] == [("ring", "2", "passed", "pass")], ring
rec = json.load(open(os.path.join(base, "runs/ring.json")))
assert rec["kernel"] == "mpi_ring" and rec["metrics"][0]["name"] == "rate" and rec["metrics"][0]["value"] > 0, rec
assert open(os.path.join(base, "runs/ring.exit")).read().strip() == "0"
script = open(os.path.join(base, "slurm/slurm-program-ring.sbatch")).read()
assert "env RING_CASE=ring WEFT_RECORD=" in script and " srun --mpi=pmix" in script, script
print("ok: 2-task job, 2-point array, a user's program, collected by chained jobs; hostile arguments arrived literally")
PY
