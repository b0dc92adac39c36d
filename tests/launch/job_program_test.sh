#!/usr/bin/env bash
# A user's own MPI program through `weft job`: program steps under mpirun with sweeps and
# repeats, figures read by patterns, a sanity pattern, references and verdicts (exit 1 on
# a failed one), resume (passed runs reused; a changed program runs again), --only,
# --force, `job status`, `job compare` (text, CSV, HTML), the history file, validation
# before launch, and a command step that calls mpirun as root.
#   job_program_test.sh WEFT MPI_RING WORK
set -uo pipefail
weft=$1 ring=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
cp "$ring" ./mpi_ring
fail() { echo "FAIL: $*"; exit 1; }
run() {  # run NAME ARGS...: weft job ARGS with a time limit, output in NAME.out
  local name=$1; shift
  timeout -k 5 120 "$weft" job "$@" > "$name.out" 2>&1
  echo $? > "$name.rc"
}
rc() { cat "$1.rc"; }

write_spec() {  # write_spec FILE REFERENCE_VALUE SANITY [EXTRA]
  cat > "$1" <<EOF
name = "ring"
repeats = 2
time_limit = "60s"
[resources]
ranks = 2
[binding]
oversubscribe = true
[[step]]
name = "mpirun-as-root"
command = ["mpirun", "-n", "1", "true"]
[[step]]
name = "ring"
program = ["./mpi_ring", "--bytes", "{bytes}", "--iterations", "{iterations}"]
params = { iterations = 5 }
env = { RING_LABEL = "{run}" }
sanity = '$3'
metrics = [
  { name = "rate", regex = 'Rate \(MB/s\): ([0-9.]+)', unit = "MB/s", better = "higher" },
  { name = "hop_time", regex = 'Time per hop \(us\): ([0-9.]+)', unit = "us", better = "lower" },
]
[step.sweep]
params = { bytes = [1024, 65536] }
[[reference]]
step = "ring"
metric = "rate"
value = $2
lower = 0.5
${4:-}
EOF
}

# 1. Everything passes: a reference of 0.001 MB/s (anything above 0.0005 passes).
write_spec pass.toml 0.001 'Result: OK'
run first run pass.toml --results r1
[[ $(rc first) == 0 ]] || { cat first.out; fail "first run exited $(rc first)"; }
python3 - r1 <<'PY' || exit 1
import csv, json, os, sys
r = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(r, "summary.csv"))))
ids = [x["run"] for x in rows]
assert ids == ["mpirun-as-root", "ring-p0-r0", "ring-p0-r1", "ring-p1-r0", "ring-p1-r1"], ids
prog = [x for x in rows if x["kind"] == "program"]
assert len(prog) == 4 and all(x["status"] == "ok" for x in rows), rows
assert all(x["validation"] == "passed" and x["verdict"] == "pass" for x in prog), prog
assert all(x["metric"] == "rate" and x["unit"] == "MB/s" and float(x["value"]) > 0 for x in prog)
rec = json.load(open(os.path.join(r, "runs/ring-p1-r0.json")))
assert rec["kernel"] == "mpi_ring" and rec["layout"]["ranks"] == 2, rec
names = [m["name"] for m in rec["metrics"]]
assert names == ["rate", "hop_time"], names
assert rec["metrics"][1]["higher_is_better"] is False
assert rec["parameters"] == {"bytes": 65536, "iterations": 5}, rec["parameters"]
assert rec["validation"]["passed"] and "Result: OK" in rec["validation"]["method"]
v = {x["metric"]: x for x in rec["job"]["verdicts"]}
assert v["rate"]["verdict"] == "pass" and v["hop_time"]["verdict"] == "no reference", v
assert rec["job"]["sweep"] == {"bytes": 65536}, rec["job"]
hist = [f for f in os.listdir("history")]
assert len(hist) == 1 and hist[0].endswith(".jsonl"), hist
lines = [json.loads(l) for l in open(os.path.join("history", hist[0]))]
assert len(lines) == 4 and lines[0]["schema"] == "weft.history/1", lines
assert lines[0]["metrics"]["rate"]["unit"] == "MB/s" and lines[0]["verdict"] == "pass"
print("ok: program runs recorded, verdicts pass, history written")
PY
grep -q "running as root" first.out || fail "no root note"
"$weft" job run pass.toml --results r1 --dry-run > dry.out 2>&1
grep -q -- "-x RING_LABEL" dry.out || { cat dry.out; fail "env not passed with -x"; }
grep -q "RING_LABEL=ring-p0-r0" dry.out || fail "env placeholder not expanded"

# 2. The rerun reuses every passed run; status says done.
run second run pass.toml --results r1
[[ $(rc second) == 0 ]] || { cat second.out; fail "rerun exited $(rc second)"; }
[[ $(grep -c "; reused (" second.out) == 5 ]] || { cat second.out; fail "rerun did not reuse all 5"; }
[[ $(cat history/*.jsonl | wc -l) == 4 ]] || fail "reused runs were added to the history"
run status status pass.toml --results r1
[[ $(rc status) == 0 ]] && grep -q "5 of 5 runs done" status.out || { cat status.out; fail status; }

# 3. A changed program runs again; --only and --force select.
touch -d "2 minutes ago" mpi_ring
run third run pass.toml --results r2
run fourth run pass.toml --results r2 --only ring --force
[[ $(rc fourth) == 0 ]] || { cat fourth.out; fail "--only --force exited $(rc fourth)"; }
grep -q "mpirun-as-root" fourth.out && fail "--only ran another step"
[[ $(grep -c "== \[" fourth.out) == 4 ]] || { cat fourth.out; fail "--only ran other than 4"; }
run from run pass.toml --results r2 --from ring --force
[[ $(rc from) == 0 && $(grep -c "== \[" from.out) == 4 ]] || { cat from.out; fail "--from ring ran other than its 4 runs"; }
run badstep run pass.toml --results r2 --only rign
[[ $(rc badstep) == 2 ]] && grep -q "weft: job: --only rign: pass.toml has no step named 'rign' (its steps: mpirun-as-root, ring)" badstep.out || { cat badstep.out; fail "--only with a typo"; }
touch mpi_ring
run fifth run pass.toml --results r2
[[ $(grep -c "ring-p.*; reused (" fifth.out) == 0 ]] || { cat fifth.out; fail "a changed program was reused"; }

# 4. compare: text, CSV on stdout, HTML; a missing folder for the page is a usage error.
run cmp compare r1 r2 --html cmp.html
[[ $(rc cmp) == 0 || $(rc cmp) == 1 ]] || { cat cmp.out; fail "compare exited $(rc cmp)"; }
grep -q "ring-p1 *rate" cmp.out || { cat cmp.out; fail "compare lacks ring-p1 rate"; }
grep -q "better, .* worse, .* same" cmp.out || fail "compare lacks its tally"
grep -q "<table>" cmp.html || fail "no compare page"
"$weft" job compare r1 r2 --csv - > cmp.csv || true
python3 - <<'PY' || exit 1
import csv
rows = list(csv.DictReader(open("cmp.csv")))
assert {r["run"] for r in rows} == {"ring-p0", "ring-p1"}, rows
assert all(r["old_repeats"] == "2" and r["new_repeats"] == "2" for r in rows), rows
assert all(r["verdict"] in ("better", "worse", "same") for r in rows), rows
print("ok: compare")
PY
run cmpbad compare r1 r2 --html nodir/cmp.html
[[ $(rc cmpbad) == 2 ]] && grep -q "nodir.*does not exist" cmpbad.out || { cat cmpbad.out; fail "html into a missing folder"; }
run cmpmissing compare r1 nosuch
[[ $(rc cmpmissing) == 3 ]] && grep -q "nosuch: no such results folder" cmpmissing.out || { cat cmpmissing.out; fail "missing folder"; }

# 5. A reference the machine cannot meet: exit 1, the verdict named, summary says fail.
write_spec fast.toml 1e15 'Result: OK'
run refail run fast.toml --results r3
[[ $(rc refail) == 1 ]] || { cat refail.out; fail "a failed reference exited $(rc refail)"; }
grep -q "ring-p0-r0: rate .* % below the reference 1e+15 MB/s (worse)" refail.out || { cat refail.out; fail "no verdict line"; }
grep -q ",fail,rate," r3/summary.csv || fail "summary lacks the failed verdict"

# 6. Sanity that does not match, and a pattern that matches nothing: the run fails.
write_spec insane.toml 0.001 'Result: PERFECT'
run insane run insane.toml --results r4
[[ $(rc insane) == 1 ]] && grep -q "does not match the sanity pattern 'Result: PERFECT'" insane.out || { cat insane.out; fail "sanity"; }
write_spec nomatch.toml 0.001 'Result: OK' '[[step]]
name = "quiet"
program = ["./mpi_ring"]
metrics = [{ name = "gflops", regex = "GFlop/s: ([0-9.]+)", better = "higher" }]'
run nomatch run nomatch.toml --results r5 --only quiet
[[ $(rc nomatch) == 1 ]] && grep -q "metric 'gflops': its pattern matched nothing" nomatch.out || { cat nomatch.out; fail "unmatched pattern"; }

# 7. Validation before launch: a missing program, an unknown placeholder, a bad regex,
#    a reference to a metric the step lacks; each one line and exit 2.
check_bad() {  # check_bad NAME EXPECTED (spec on stdin)
  cat > "$1.toml"
  run "$1" run "$1.toml" --results "bad-$1"
  [[ $(rc "$1") == 2 && $(wc -l < "$1.out") == 1 ]] && grep -q "$2" "$1.out" || { cat "$1.out"; fail "$1"; }
  [[ ! -e "bad-$1" ]] || fail "$1 created its results folder"
}
check_bad noprog "step\[1\].program: './no_such_app' is not an executable file" <<'EOF'
name = "x"
[[step]]
program = ["./no_such_app"]
EOF
check_bad placeholder "'{n}' names no parameter" <<'EOF'
name = "x"
[[step]]
program = ["./mpi_ring", "--bytes", "{n}"]
EOF
check_bad regex "needs exactly one, around the number" <<'EOF'
name = "x"
[[step]]
program = ["./mpi_ring"]
metrics = [{ name = "rate", regex = 'Rate', better = "higher" }]
EOF
check_bad refmetric "step 'ring' has no metric 'speed' (it has: rate)" <<'EOF'
name = "x"
[[step]]
name = "ring"
program = ["./mpi_ring"]
metrics = [{ name = "rate", regex = 'Rate \(MB/s\): ([0-9.]+)', better = "higher" }]
[[reference]]
step = "ring"
metric = "speed"
value = 1
lower = 0.1
EOF
echo "ok: program steps"
