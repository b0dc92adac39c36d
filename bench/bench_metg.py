#!/usr/bin/python3
"""Task granularity as Task Bench measures it (Slaughter et al., SC20): METG(50 %), the
smallest task granularity at which a task system keeps at least 50 % efficiency.

Every system runs the same busy-wait tasks of duration d (fixed, independent), for d from
1 us to 10 ms, on 2 workers, with tasks handed out one at a time (chunk size 1):

  weft              taskfarm --distribution fixed --mean d --chunk 1 --dynamic-only,
                    2 ranks x 1 thread (or --weft-layout 1x2: 1 rank x 2 threads)
  Pool              multiprocessing.Pool(2).imap_unordered(spin, ..., chunksize=1)
  ProcessPool       concurrent.futures.ProcessPoolExecutor(2).map(spin, ..., chunksize=1)
  MPIPoolExecutor   mpi4py.futures under mpirun -n 3 (manager + 2 workers), map(chunksize=1)

For each run: efficiency = tasks x d / (workers x wall), and granularity = workers x wall
/ tasks (the wall time a worker spends per task, overhead included). METG(50 %) is the
granularity where the efficiency curve crosses 50 %, interpolated on a log scale between
the two measured points around the crossing. The number of tasks gives each run about
--work seconds of work per worker (at most --max-tasks).

    bench/bench_metg.py BUILD_DIR [--work 0.25] [--max-tasks 200000] [--json OUT]
"""
import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # also under mpi4py.futures
from benchlib import record, run as benchlib_run, write_json  # noqa: E402

WORKERS = 2
DURATIONS = [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 1e-2]


def spin(d):
    """The task: busy-wait d seconds (as taskfarm's spin_for)."""
    end = time.perf_counter() + d
    while time.perf_counter() < end:
        pass
    return None


def tasks_for(d, work, max_tasks):
    return max(WORKERS * 10, min(max_tasks, int(round(WORKERS * work / d))))


def point(d, n, wall):
    return {"duration": d, "tasks": n, "wall": wall,
            "efficiency": n * d / (WORKERS * wall), "granularity": WORKERS * wall / n}


def weft_curve(build, work, max_tasks, layout):
    ranks, threads = (2, 1) if layout == "2x1" else (1, 2)
    pts = []
    for d in DURATIONS:
        n = tasks_for(d, work, max_tasks)
        cmd = ["mpirun", "-q", "-n", str(ranks), "--bind-to", "core"]
        if threads > 1:
            cmd = ["mpirun", "-q", "-n", "1", "--map-by", f"slot:PE={threads}", "--bind-to", "core"]
        cmd += ["-x", f"OMP_NUM_THREADS={threads}", os.path.join(build, "bin", "weft"), "run",
                "taskfarm", "--tasks", str(n), "--distribution", "fixed", "--mean", repr(d),
                "--chunk", "1", "--dynamic-only", "--json", "-"]
        rec = record(benchlib_run(cmd, {"OMP_NUM_THREADS": str(threads)}))
        if not rec["validation"]["passed"]:
            sys.exit(f"bench: taskfarm with {n} tasks of {d} s did not validate")
        wall = {m["name"]: m["value"] for m in rec["metrics"]}["dynamic_wall"]
        pts.append(point(d, n, wall))
    return pts


def curve(map_one_by_one, work, max_tasks):
    """The efficiency curve of a pool through map_one_by_one(fn, items) (chunk size 1)."""
    for _ in map_one_by_one(spin, [0.0] * WORKERS):  # start-up outside the timing
        pass
    pts = []
    for d in DURATIONS:
        n = tasks_for(d, work, max_tasks)
        t = time.perf_counter()
        for _ in map_one_by_one(spin, [d] * n):
            pass
        pts.append(point(d, n, time.perf_counter() - t))
    return pts


def pool_curve(work, max_tasks):
    import multiprocessing as mp
    with mp.Pool(WORKERS) as pool:
        return curve(lambda f, xs: pool.imap_unordered(f, xs, chunksize=1), work, max_tasks)


def executor_curve(ex, work, max_tasks):
    return curve(lambda f, xs: ex.map(f, xs, chunksize=1), work, max_tasks)


def process_pool_curve(work, max_tasks):
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(WORKERS) as ex:
        return executor_curve(ex, work, max_tasks)


def mpi4py_child(work, max_tasks, out):
    import json
    from mpi4py.futures import MPIPoolExecutor
    with MPIPoolExecutor(max_workers=WORKERS) as ex:
        pts = executor_curve(ex, work, max_tasks)
    with open(out, "w") as f:
        json.dump(pts, f)


def mpi4py_curve(work, max_tasks):
    import json
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
        cmd = ["mpirun", "-q", "-n", str(WORKERS + 1), "--oversubscribe", sys.executable, "-m",
               "mpi4py.futures", os.path.abspath(__file__), "--mpi4py-child", tmp.name,
               "--work", str(work), "--max-tasks", str(max_tasks)]
        benchlib_run(cmd, {"OMP_NUM_THREADS": "1"}, timeout=1800)
        with open(tmp.name) as f:
            return json.load(f)


def metg(pts, level=0.5):
    """The granularity where efficiency crosses `level`, log-interpolated; None when the
    curve never reaches it, the smallest granularity measured when it never drops below."""
    pts = sorted(pts, key=lambda p: p["granularity"])
    if pts[0]["efficiency"] >= level:
        return pts[0]["granularity"]
    for lo, hi in zip(pts, pts[1:]):
        if lo["efficiency"] < level <= hi["efficiency"]:
            f = (level - lo["efficiency"]) / (hi["efficiency"] - lo["efficiency"])
            return math.exp(math.log(lo["granularity"]) +
                            f * (math.log(hi["granularity"]) - math.log(lo["granularity"])))
    return None


def show(name, pts, m):
    cells = "  ".join(f"{p['efficiency']:5.2f}" for p in pts)
    text = f"{m * 1e6:8.2f} us" if m is not None else "   (never)"
    print(f"  {name:16s} METG(50%) {text}   efficiency by duration: {cells}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("--work", type=float, default=0.25, help="seconds of work per worker")
    ap.add_argument("--max-tasks", type=int, default=200_000)
    ap.add_argument("--weft-layout", choices=["2x1", "1x2"], default="2x1")
    ap.add_argument("--json")
    ap.add_argument("--mpi4py-child")
    a = ap.parse_args()
    if a.mpi4py_child:
        mpi4py_child(a.work, a.max_tasks, a.mpi4py_child)
        return
    print("== METG(50%): tasks of fixed duration, chunk size 1, 2 workers")
    print("  durations (us): " + "  ".join(f"{d * 1e6:g}" for d in DURATIONS))
    curves = {f"weft {a.weft_layout}": weft_curve(a.build, a.work, a.max_tasks, a.weft_layout),
              "Pool": pool_curve(a.work, a.max_tasks),
              "ProcessPool": process_pool_curve(a.work, a.max_tasks),
              "MPIPoolExecutor": mpi4py_curve(a.work, a.max_tasks)}
    res = {"durations": DURATIONS, "systems": {}}
    for name, pts in curves.items():
        m = metg(pts)
        res["systems"][name] = {"metg50": m, "points": pts}
        show(name, pts, m)
    weft_m = res["systems"][f"weft {a.weft_layout}"]["metg50"]
    for name in ("Pool", "ProcessPool", "MPIPoolExecutor"):
        m = res["systems"][name]["metg50"]
        if weft_m and m:
            print(f"  {name}: METG {m / weft_m:.0f}x weft's")
    write_json(a.json, res)


if __name__ == "__main__":
    main()
