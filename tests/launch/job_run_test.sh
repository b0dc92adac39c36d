#!/usr/bin/env bash
# `weft job run` end to end: the runs happen, and the results folder holds every record
# (annotated with its step and sweep point), the summary table and the provenance file.
#   job_run_test.sh WEFT SPEC RESULTS
set -euo pipefail
weft=$1 spec=$2 results=$3
rm -rf "$results"
timeout -k 5 180 "$weft" job run "$spec" --results "$results" > "$results.out" 2>&1 || {
  echo "FAIL: weft job run exited $?"; cat "$results.out"; exit 1; }
grep -q "running as root\|results in" "$results.out"
python3 - "$results" <<'PY'
import csv, json, os, sys
results = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(results, "summary.csv"))))
ids = [r["run"] for r in rows]
assert ids == ["bandwidth", "strong-p0", "strong-p1", "list"], ids
for r in rows:
    assert r["status"] == "ok", r
    assert r["exit_code"] == "0", r
kernel_rows = [r for r in rows if r["kind"] == "kernel"]
assert all(r["validation"] == "passed" for r in kernel_rows), kernel_rows
assert [r["ranks"] for r in kernel_rows] == ["2", "1", "2"], kernel_rows
for r in kernel_rows:
    rec = json.load(open(os.path.join(results, r["record"])))
    assert rec["schema"] == "weft.record/1"
    assert rec["job"]["run"] == r["run"], rec["job"]
    assert rec["layout"]["ranks"] == int(r["ranks"]), rec["layout"]
strong = json.load(open(os.path.join(results, "runs/strong-p1.json")))
assert strong["job"]["sweep"] == {"ranks": 2} and strong["job"]["scaling"] == "strong", strong["job"]
prov = json.load(open(os.path.join(results, "provenance.json")))
assert prov["schema"] == "weft.job-provenance/1" and prov["job"] == "small", prov.keys()
assert "mpirun" in " ".join(prov["runs"][0]["command"]), prov["runs"][0]
assert prov["spec"].startswith("# A small job"), prov["spec"][:40]
assert os.path.getsize(os.path.join(results, "runs/list.log")) > 0
print("ok: results folder complete")
PY
