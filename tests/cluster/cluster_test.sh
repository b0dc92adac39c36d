#!/usr/bin/env bash
# weft across two nodes of the local cluster (scripts/cluster-local):
#   cluster_test.sh WEFT WORKDIR SCENARIO
# SCENARIO
#   transports   shared memory alone cannot reach the other node, TCP alone can; within a
#                node shared memory alone is enough
#   same_bits    reduce and montecarlo give the same bits, and histogram the same bins, on
#                1 node x 4 ranks and on 2 nodes x 2 ranks
#   h5py         a dataset written collectively from 2 nodes reads back in h5py with the
#                bits of the same dataset written by one process
#   restart      heat stopped (SIGUSR1) on 2 nodes x 2 ranks resumes on 1 node x 2 ranks,
#                and the reverse, to the bits of an uninterrupted run
#   kill_rank    SIGKILL to one rank on node2: every node's processes end, non-zero, in
#                10 s; a rerun resumes from the newest checkpoint to the uninterrupted bits
#   lost_node    every process of the job on node2 killed at once: the same
#   slurm        weft job submit of a 2-node job (srun) and of a sweep over 1 and 2 nodes
#                (a job array, mpirun in each allocation) through the cluster's Slurm,
#                collected
#   job_hostfile weft job run --hostfile: the same 2-node spec with plain mpirun
#   node_local   an output folder or an input only in one node's /tmp: one line, exit 2 / 3
# Without a cluster it skips (exit 77), unless WEFT_REQUIRE_CLUSTER=1 (make test-cluster).
set -u
weft=$1 work=$2 scenario=$3
here=$(cd "$(dirname "$0")" && pwd)
cluster=$here/../../scripts/cluster-local
if ! env_lines=$("$cluster" env 2>/dev/null); then
  if [[ "${WEFT_REQUIRE_CLUSTER:-0}" == 1 ]]; then
    echo "FAIL: no local cluster is up (scripts/cluster-local start)"; exit 1
  fi
  echo "skipped: no local cluster is up (scripts/cluster-local start, or make test-cluster)"; exit 77
fi
eval "$env_lines"
export OMP_NUM_THREADS=1
dir="$work/cluster_$scenario"
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 1

fail() {
  echo "FAIL ($scenario): $*"
  for f in "$dir"/*.txt; do [[ -f $f ]] && { echo "--- $f"; tail -c 3000 "$f"; }; done
  exit 1
}
# mpi LIMIT ARGS...: mpirun from node1 with the cluster's hostfile, bounded.
mpi() {
  local limit=$1
  shift
  timeout -k 5 "$limit" "$cluster" exec node1 -- mpirun -q --hostfile "$WEFT_CLUSTER_HOSTFILE" \
    -x OMP_NUM_THREADS "$@"
}
on2x2=(-n 4 --map-by ppr:2:node)                  # 2 nodes x 2 ranks
on1x4=(-n 4 --host node1:4 --oversubscribe)        # 1 node x 4 ranks
on1x2=(-n 2 --host node1:2 --bind-to none)        # 1 node x 2 ranks
json_get() {  # json_get FILE PYTHON-EXPRESSION-ON-d
  /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
nodes_of() { json_get "$1" 'd["layout"]["nodes"]'; }
# Processes of a job left on a node (the Slurm daemons belong to the node, not the job).
leftovers() {
  "$cluster" pids "$1" | awk '$2 !~ /^(slurmd|slurmctld|slurmscriptd)$/'
}
no_leftovers() {
  local node left
  for _ in $(seq 30); do
    left=""
    for node in node1 node2; do left+=$(leftovers "$node"); done
    [[ -z "$left" ]] && return 0
    sleep 0.1
  done
  for node in node1 node2; do echo "left on $node: $(leftovers "$node" | tr '\n' ' ')"; done
  return 1
}

case $scenario in
transports)
  # Not quiet: OpenMPI names the unreachable peer.
  timeout -k 5 60 "$cluster" exec node1 -- mpirun --hostfile "$WEFT_CLUSTER_HOSTFILE" -n 2 \
    --map-by ppr:1:node --mca btl self,vader "$weft" run pingpong --max-size 1048576 >vader2.txt 2>&1 &&
    fail "shared memory alone connected ranks on two nodes"
  # OpenMPI's own help text names the unreachable pair when it gets out before the abort.
  grep -qi "unable to reach each other\|weft: rank 0: MPI error" vader2.txt ||
    fail "the shared-memory-only run across nodes failed for another reason"
  mpi 60 "${on1x2[@]}" --mca btl self,vader "$weft" run pingpong --max-size 1048576 --json vader1.json >vader1.txt 2>&1 ||
    fail "shared memory within node1 failed"
  mpi 60 -n 2 --map-by ppr:1:node --mca btl self,tcp "$weft" run pingpong --max-size 1048576 --json tcp2.json >tcp2.txt 2>&1 ||
    fail "TCP across nodes failed"
  [[ $(nodes_of vader1.json) == 1 && $(nodes_of tcp2.json) == 2 ]] || fail "layouts report the wrong node counts"
  # weft info names each node with its ranks and the cores they are bound to.
  mpi 60 -n 3 --map-by ppr:2:node "$weft" info --json >info.json 2>info.txt || fail "weft info on 2 nodes"
  /usr/bin/python3 - info.json >>info.txt 2>&1 <<'PY' || fail "weft info's nodes"
import json, sys
d = json.load(open(sys.argv[1]))
assert (d["nodes"], d["ranks"], d["ranks_per_node"]) == (2, 3, 2), d
assert [(n["host"], n["ranks"]) for n in d["per_node"]] == [("node1", [0, 1]), ("node2", [2])], d["per_node"]
assert all(n["cores"] for n in d["per_node"]), d["per_node"]
PY
  grep -q "validation: passed" tcp2.txt || fail "pingpong across nodes did not validate"
  echo "ok: shared memory within a node, TCP across nodes, shared memory cannot cross"
  ;;

same_bits)
  "$weft" data generate -o "$dir/d.h5:/x" --shape 20000x37 --pattern random >gen.txt 2>&1 || fail "generate"
  for layout in 1x4 2x2; do
    if [[ $layout == 1x4 ]]; then l=("${on1x4[@]}"); else l=("${on2x2[@]}"); fi
    mpi 120 "${l[@]}" "$weft" run reduce --input "$dir/d.h5:/x" --slab-mib 1 --json "reduce$layout.json" \
      >"reduce$layout.txt" 2>&1 || fail "reduce on $layout"
    mpi 120 "${l[@]}" "$weft" run montecarlo --samples 4000000 --json "mc$layout.json" \
      >"mc$layout.txt" 2>&1 || fail "montecarlo on $layout"
    # histogram's tests run at 2 ranks at most; here it validates at 4 ranks on both layouts.
    mpi 120 "${l[@]}" "$weft" run histogram --input "$dir/d.h5:/x" --bins 64 --slab-mib 1 \
      --json "hist$layout.json" >"hist$layout.txt" 2>&1 || fail "histogram on $layout"
    grep -q "validation: passed" "hist$layout.txt" || fail "histogram on $layout did not validate"
  done
  [[ $(nodes_of reduce1x4.json) == 1 && $(nodes_of reduce2x2.json) == 2 ]] || fail "layouts report the wrong node counts"
  for k in sum_bits variance_bits; do
    a=$(json_get reduce1x4.json "d['extra']['statistics']['$k']")
    b=$(json_get reduce2x2.json "d['extra']['statistics']['$k']")
    [[ -n $a && $a == "$b" ]] || fail "reduce $k: $a on 1 node, $b on 2 nodes"
  done
  a=$(json_get mc1x4.json "d['extra']['estimate_bits']")
  b=$(json_get mc2x2.json "d['extra']['estimate_bits']")
  [[ -n $a && $a == "$b" ]] || fail "montecarlo estimate bits: $a on 1 node, $b on 2 nodes"
  a=$(json_get hist1x4.json "[d['extra']['histogram'][k] for k in ('counts', 'edges')] if sum(d['extra']['histogram']['counts']) == 20000 * 37 else ''")
  b=$(json_get hist2x2.json "[d['extra']['histogram'][k] for k in ('counts', 'edges')]")
  [[ -n $a && $a == "$b" ]] || fail "histogram bins differ between 1 node and 2 nodes"
  echo "ok: reduce sum and variance bits, montecarlo estimate bits and histogram bins equal on 1x4 and 2x2"
  ;;

h5py)
  for pattern in random gradient; do
    mpi 120 "${on2x2[@]}" "$weft" data generate -o "$dir/two_nodes_$pattern.h5:/x" --shape 3001x17x5 \
      --pattern "$pattern" --chunk 128x17x5 >"gen2_$pattern.txt" 2>&1 || fail "generate $pattern on 2 nodes"
    "$weft" data generate -o "$dir/one_$pattern.h5:/x" --shape 3001x17x5 --pattern "$pattern" \
      >"gen1_$pattern.txt" 2>&1 || fail "generate $pattern on one process"
  done
  /usr/bin/python3 - "$dir" >check.txt 2>&1 <<'PY' || fail "h5py comparison"
import sys, h5py, numpy as np
d = sys.argv[1]
for name in ("random", "gradient"):
    with h5py.File(f"{d}/two_nodes_{name}.h5", "r") as a, h5py.File(f"{d}/one_{name}.h5", "r") as b:
        x, y = a["x"][...], b["x"][...]
        assert a["x"].chunks == (128, 17, 5), a["x"].chunks
        assert x.shape == (3001, 17, 5) and x.dtype == y.dtype, (x.shape, x.dtype, y.dtype)
        assert np.array_equal(x.view(np.uint8), y.view(np.uint8)), f"{name}: bits differ"
        assert np.unique(x).size > 1000, f"{name}: suspiciously few distinct values"
print("same bits")
PY
  echo "ok: datasets written collectively from 2 nodes read back in h5py bit for bit"
  ;;

restart | kill_rank | lost_node)
  common=(run heat --shape 40x36 --steps 150)
  "$weft" "${common[@]}" --checkpoint-every 0 --output ref --json ref.json >ref.txt 2>&1 || fail "reference"
  want=$(json_get ref.json 'd["extra"]["field_hash"]')
  # interrupted FIRST-LAYOUT: starts paced, returns once its first checkpoint exists
  interrupted() {
    local name=$1
    shift
    mpi 60 "$@" "$weft" "${common[@]}" --checkpoint-every 10 --pace-ms 20 --output "$name" \
      >"$name.txt" 2>"${name}_err.txt" &
    job=$!
    for _ in $(seq 1 400); do
      compgen -G "$name.ckpt.*.h5" >/dev/null && return 0
      sleep 0.05
    done
    fail "no checkpoint appeared for $name"
  }
  finished_within() {  # finished_within SECONDS: waits for $job; sets rc
    local start=$SECONDS
    wait "$job"
    rc=$?
    took=$((SECONDS - start))
    [[ $took -le $1 ]] || fail "the job took ${took}s to end after the fault"
  }
  resumed() {  # resumed NAME LAYOUT...
    local name=$1
    shift
    mpi 60 "$@" "$weft" "${common[@]}" --checkpoint-every 10 --output "$name" --restart \
      --json "$name.restart.json" >"$name.restart.txt" 2>&1 || fail "restart of $name"
    local got from
    got=$(json_get "$name.restart.json" 'd["extra"]["field_hash"]')
    from=$(json_get "$name.restart.json" 'd["extra"]["resumed_from_step"]')
    [[ $from -gt 0 ]] || fail "$name did not resume from a checkpoint"
    [[ $got == "$want" ]] || fail "$name: field hash $got after restart, $want uninterrupted"
    echo "$name resumed at step $from on $(nodes_of "$name.restart.json") node(s): same field hash"
  }
  case $scenario in
  restart)
    for pair in "2x2:1x2" "1x2:2x2"; do
      first=${pair%%:*} second=${pair##*:}
      if [[ $first == 2x2 ]]; then a=("${on2x2[@]}") b=("${on1x2[@]}"); else a=("${on1x2[@]}") b=("${on2x2[@]}"); fi
      interrupted "run$first" "${a[@]}"
      # mpirun runs on node1; SIGUSR1 to it reaches every rank on both nodes.
      launcher=$("$cluster" pids node1 | awk '$2 == "mpirun" { print $1; exit }')
      [[ -n $launcher ]] || fail "no mpirun to signal"
      kill -USR1 "$launcher"
      finished_within 15
      [[ $rc -eq 75 ]] || fail "run$first exited $rc after SIGUSR1, expected 75"
      no_leftovers || fail "processes left after the stop"
      resumed "run$first" "${b[@]}"
    done
    ;;
  kill_rank | lost_node)
    interrupted run "${on2x2[@]}"
    sleep 0.3
    if [[ $scenario == kill_rank ]]; then
      victims=$("$cluster" pids node2 | awk '$2 == "weft" { print $1; exit }')
    else
      victims=$(leftovers node2 | awk '{ print $1 }')
    fi
    [[ -n $victims ]] || fail "nothing of the job found on node2"
    kill -KILL $victims
    finished_within 10
    [[ $rc -ne 0 && $rc -ne 75 ]] || fail "exit code $rc after the fault, expected a failure"
    no_leftovers || fail "processes left after the fault"
    echo "the job ended with $rc ${took}s after SIGKILL to $(wc -w <<<"$victims") process(es) on node2; nothing left"
    resumed run "${on2x2[@]}"
    ;;
  esac
  echo "ok ($scenario)"
  ;;

slurm)
  on() { timeout -k 5 "$1" "$cluster" exec node1 -- "${@:2}"; }
  for name in two-node two-node-sweep; do
    on 60 "$weft" job submit "$here/specs/$name.toml" --results "$dir/$name" >"submit-$name.txt" 2>&1 ||
      fail "submit $name"
  done
  for name in two-node two-node-sweep; do
    on 300 "$weft" job status "$here/specs/$name.toml" --results "$dir/$name" --wait --timeout 240 \
      >"status-$name.txt" 2>&1 || {
      for f in "$dir/$name"/slurm/*.out "$dir/$name"/slurm/*.err; do echo "--- $f"; tail -n 20 "$f"; done
      fail "$name did not complete"
    }
  done
  /usr/bin/python3 - "$dir" >check.txt 2>&1 <<'PY' || fail "collected results"
import csv, json, os, sys
d = sys.argv[1]
def rows(name):
    return list(csv.DictReader(open(os.path.join(d, name, "summary.csv"))))
def record(name, run):
    return json.load(open(os.path.join(d, name, "runs", run + ".json")))
r = rows("two-node")
assert [(x["run"], x["validation"]) for x in r] == [
    ("bandwidth", "passed"), ("build", ""), ("ring", "passed")], r
ring = record("two-node", "ring")
assert ring["layout"]["nodes"] == 2 and ring["metrics"][0]["name"] == "rate", ring["layout"]
lay = record("two-node", "bandwidth")["layout"]
assert (lay["nodes"], lay["ranks"]) == (2, 4), lay
hosts = [b["host"] for b in lay["bindings"]]
assert hosts == ["node1", "node1", "node2", "node2"], hosts
r = rows("two-node-sweep")
assert [(x["run"], x["validation"]) for x in r] == [("nodes-p0", "passed"), ("nodes-p1", "passed")], r
for x, nodes in zip(r, (1, 2)):
    lay = record("two-node-sweep", x["run"])["layout"]
    assert (lay["nodes"], lay["ranks"], lay["ranks_per_node"]) == (nodes, 2 * nodes, 2), lay
    assert len({b["host"] for b in lay["bindings"]}) == nodes, lay["bindings"]
print("ok")
PY
  echo "ok: a 2-node job (srun) and a sweep over 1 and 2 nodes (a job array, mpirun) ran through Slurm and were collected"
  ;;

node_local)
  # A node's own /tmp is not shared: an output or an input there is one clear line and the
  # documented exit code on every rank, promptly, never a hang or a half-written file.
  "$weft" data generate -o "$dir/in.h5:/x" --shape 100x10 >gen.txt 2>&1 || fail "generate"
  "$cluster" exec node1 -- cp "$dir/in.h5" /tmp/weft-node-local-in.h5
  start=$SECONDS
  mpi 60 "${on2x2[@]}" "$weft" run heat --shape 40x36 --steps 20 --output /tmp/weft-node-local \
    >out.txt 2>out_err.txt
  rc=$?
  [[ $rc -eq 2 ]] || fail "output in /tmp: exit $rc, expected 2"
  grep -q "is not shared: rank 2 on node2 cannot see" out_err.txt || fail "output in /tmp: no clear message"
  [[ $(grep -c '' out_err.txt) -eq 1 ]] || fail "output in /tmp: more than one line on stderr"
  mpi 60 "${on2x2[@]}" "$weft" run reduce --input /tmp/weft-node-local-in.h5:/x >in.txt 2>in_err.txt
  rc=$?
  [[ $rc -eq 3 ]] || fail "input in node1's /tmp: exit $rc, expected 3"
  grep -q "rank 2 on node2 cannot see this file" in_err.txt || fail "input in /tmp: no clear message"
  [[ $(grep -c '' in_err.txt) -eq 1 ]] || fail "input in /tmp: more than one line on stderr"
  took=$((SECONDS - start))
  [[ $took -le 20 ]] || fail "the two refusals took ${took}s"
  "$cluster" exec node1 -- sh -c 'ls -a /tmp' >tmp_listing.txt
  "$cluster" exec node1 -- rm -f /tmp/weft-node-local-in.h5
  grep -q "weft-node-local\.\|\.weft-shared" tmp_listing.txt && fail "files left in node1's /tmp"
  no_leftovers || fail "processes left"
  echo "ok: node-local output and input refused with one line (exit 2 and 3) in ${took}s"
  ;;

job_hostfile)
  timeout -k 5 120 "$cluster" exec node1 -- "$weft" job run "$here/specs/two-node.toml" \
    --hostfile "$WEFT_CLUSTER_HOSTFILE" --results "$dir/run" >run.txt 2>&1 || fail "weft job run --hostfile"
  # The launch line itself (the records below show where the ranks ran).
  "$weft" job run "$here/specs/two-node.toml" --hostfile "$WEFT_CLUSTER_HOSTFILE" --dry-run \
    --results "$dir/dry" >dry.txt 2>&1 || fail "weft job run --hostfile --dry-run"
  grep -q -- "mpirun -q -n 4 --hostfile $WEFT_CLUSTER_HOSTFILE .*--map-by ppr:2:node" dry.txt ||
    fail "the launch line lacks the hostfile or the per-node mapping"
  /usr/bin/python3 - "$dir/run" >check.txt 2>&1 <<'PY' || fail "results"
import csv, json, os, sys
d = sys.argv[1]
r = list(csv.DictReader(open(os.path.join(d, "summary.csv"))))
assert [(x["run"], x["status"], x["validation"]) for x in r] == [
    ("bandwidth", "ok", "passed"), ("build", "ok", ""), ("ring", "ok", "passed")], r
lay = json.load(open(os.path.join(d, "runs", "bandwidth.json")))["layout"]
assert (lay["nodes"], lay["ranks"]) == (2, 4), lay
assert [b["host"] for b in lay["bindings"]] == ["node1", "node1", "node2", "node2"], lay["bindings"]
ring = json.load(open(os.path.join(d, "runs", "ring.json")))
assert ring["kernel"] == "mpi_ring" and ring["layout"]["ranks"] == 4 and ring["layout"]["nodes"] == 2, ring["layout"]
assert ring["metrics"][0]["name"] == "rate" and ring["metrics"][0]["value"] > 0, ring["metrics"]
assert "on 4 ranks" in open(os.path.join(d, "runs", "ring.log")).read()
PY
  echo "ok: weft job run --hostfile ran a 2-node spec with plain mpirun (a kernel and a user's program), 2 ranks on each node"
  ;;

*) fail "unknown scenario" ;;
esac
