#!/usr/bin/python3
"""Within a node and across nodes on the local cluster (scripts/cluster-local): weft's
pingpong next to a plain MPI ping-pong, an MPI_Allreduce sweep, and the task pool's
METG(50 %) as bench/bench_metg.py measures it, each once with both ranks on node1 and
once with one rank on each of two nodes.

The nodes are namespaces of one machine: "across nodes" is TCP over veth pairs and a
bridge in the kernel, not a real network, and "within a node" is shared memory between
ranks that may share a core (2 cores, 2 nodes: one core each). The figures show what the
transports cost relative to each other here, not what a cluster's network does.
Not in CI, and not in bench/run (it needs the cluster): start it first.

    scripts/cluster-local start 2
    bench/cluster_nodes.py BUILD_DIR [--rounds N] [--json OUT]
"""
import argparse
import os
import subprocess
import sys

from bench_metg import DURATIONS, WORKERS, metg, point, show, tasks_for
from benchlib import ROOT_ENV, record, write_json

HERE = os.path.dirname(os.path.abspath(__file__))
CLUSTER = os.path.join(HERE, "..", "scripts", "cluster-local")
PLACES = {"within node1": ["--host", "node1:2", "--bind-to", "none"],
          "across 2 nodes": ["--map-by", "ppr:1:node"]}


def cluster_env():
    out = subprocess.run([CLUSTER, "env"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("cluster_nodes: no local cluster is up (scripts/cluster-local start 2)")
    env = dict(os.environ)
    for line in out.stdout.splitlines():
        name, value = line.removeprefix("export ").split("=", 1)
        env[name] = value
    if os.geteuid() == 0:
        env.update(ROOT_ENV)
    return env


def on_cluster(env, args):
    cmd = [CLUSTER, "exec", "node1", "--", "mpirun", "-q", "--hostfile",
           env["WEFT_CLUSTER_HOSTFILE"], "-n", "2"] + args
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        sys.exit(f"cluster_nodes: {' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return out.stdout


def cpu_model():
    model, isa = "unknown", "x86-64"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and model == "unknown":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = line.split()
                isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else isa
    return f"{model} ({isa})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    env = cluster_env()
    weft = os.path.join(os.path.abspath(a.build), "bin", "weft")
    peer = os.path.join(os.path.abspath(a.build), "bench", "bench_pingpong_mpi")
    allreduce = os.path.join(os.path.abspath(a.build), "bench", "bench_allreduce_mpi")
    results = {"cpu": cpu_model(), "pingpong": {}, "allreduce": {}}
    print(f"CPU: {results['cpu']}, {os.cpu_count()} cores; best of {a.rounds}")

    print("pingpong, 8 B latency (us) and 1 MiB bandwidth (GB/s): weft / plain MPI")
    for place, args in PLACES.items():
        best = {"weft_lat": 1e30, "plain_lat": 1e30, "weft_bw": 0.0, "plain_bw": 0.0}
        for _ in range(a.rounds):
            rec = record(on_cluster(env, args + [weft, "run", "pingpong", "--max-size", "1048576",
                                                 "--iterations", "2000", "--json", "-"]))
            table = next(t for t in rec["tables"] if "size_B" in t["columns"])
            rows = {int(r[0]): r for r in table["rows"]}
            best["weft_lat"] = min(best["weft_lat"], rows[8][2])
            best["weft_bw"] = max(best["weft_bw"], rows[1048576][3])
            lines = on_cluster(env, args + [peer, "1048576", "2000"]).split()
            plain = {int(lines[i]): (float(lines[i + 1]), float(lines[i + 2]))
                     for i in range(0, len(lines), 3)}
            best["plain_lat"] = min(best["plain_lat"], plain[8][0])
            best["plain_bw"] = max(best["plain_bw"], plain[1048576][1])
        best["latency_ratio"] = best["weft_lat"] / best["plain_lat"]
        best["bandwidth_ratio"] = best["weft_bw"] / best["plain_bw"]
        results["pingpong"][place] = best
        print(f"  {place:<15} latency {best['weft_lat']:8.2f} / {best['plain_lat']:8.2f} "
              f"(x{best['latency_ratio']:.2f})  bandwidth {best['weft_bw']:6.2f} / "
              f"{best['plain_bw']:6.2f} (x{best['bandwidth_ratio']:.2f})")

    print("MPI_Allreduce (sum of doubles), 2 ranks, us per call")
    sweep = {}
    for place, args in PLACES.items():
        lines = on_cluster(env, args + [allreduce, str(1 << 19), str(a.rounds)]).split()
        sweep[place] = {int(lines[i]): float(lines[i + 1]) for i in range(0, len(lines), 2)}
    print(f"  {'bytes':>9} " + " ".join(f"{p:>15}" for p in PLACES) + "  across/within")
    for size in sorted(sweep["within node1"]):
        w, x = sweep["within node1"][size], sweep["across 2 nodes"][size]
        print(f"  {size:>9} {w:>15.2f} {x:>15.2f}  {x / w:>12.2f}")
    results["allreduce"] = {p: {str(k): v for k, v in s.items()} for p, s in sweep.items()}

    print(f"task pool METG(50 %), {WORKERS} ranks x 1 thread, fixed busy-wait tasks, chunk 1")
    results["metg"] = {}
    for place, args in PLACES.items():
        pts = []
        for d in DURATIONS:
            n = tasks_for(d, 0.25, 200_000)
            rec = record(on_cluster(env, args + ["-x", "OMP_NUM_THREADS=1", weft, "run", "taskfarm",
                                                 "--tasks", str(n), "--distribution", "fixed",
                                                 "--mean", repr(d), "--chunk", "1",
                                                 "--dynamic-only", "--json", "-"]))
            if not rec["validation"]["passed"]:
                sys.exit(f"cluster_nodes: taskfarm with {n} tasks of {d} s did not validate")
            wall = {m["name"]: m["value"] for m in rec["metrics"]}["dynamic_wall"]
            pts.append(point(d, n, wall))
        m = metg(pts)
        results["metg"][place] = {"metg_s": m, "points": pts}
        show(place, pts, m)
    write_json(a.json, results)


if __name__ == "__main__":
    main()
