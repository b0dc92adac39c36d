#!/usr/bin/python3
"""weft's concurrency patterns side by side with the Python patterns they replace.

Every contender gets 2 workers: weft runs 2 ranks x 1 thread; multiprocessing.Pool and
concurrent.futures.ProcessPoolExecutor get 2 processes; mpi4py.futures.MPIPoolExecutor
runs under `mpirun -n 3` (its manager plus 2 workers). Prints figures and ratios:

  montecarlo   pi from the same number of samples: weft's montecarlo kernel vs numpy-
               vectorised sampling in chunks through Pool.map and MPIPoolExecutor.map
  scheduling   empty tasks handed out one at a time (chunk size 1): weft's task pool
               (taskfarm --mean 0 --chunk 1) vs Pool.imap_unordered(chunksize=1),
               ProcessPoolExecutor.submit, MPIPoolExecutor.submit
  taskfarm     fixed tasks: dynamic pool vs the ideal static split (total work / workers);
               exponential tasks (random and sorted order): dynamic vs static block split

    bench/bench_patterns.py BUILD_DIR [--samples N] [--tasks N] [--json OUT]
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # also under mpi4py.futures
from benchlib import record, run as benchlib_run, write_json  # noqa: E402

CHUNK = 1 << 20  # samples per numpy chunk


def run(cmd, timeout=900):
    """benchlib.run with one OpenMP thread per process for every contender."""
    return benchlib_run(cmd, {"OMP_NUM_THREADS": "1"}, timeout)


def weft(build, *args):
    stdout = run(["mpirun", "-q", "-n", "2", "--bind-to", "core", os.path.join(build, "bin", "weft"),
                  "run", *args, "--json", "-"])
    rec = record(stdout)
    if not rec["validation"]["passed"]:
        sys.exit(f"bench: weft run {' '.join(args)} did not validate")
    figures = {m["name"]: m["value"] for m in rec["metrics"]}
    figures["extra"] = rec.get("extra", {})
    return figures


# --- Python workers (module level: they are pickled by name) ------------------------
def pi_chunk(args):
    """As a numpy expert writes it: two buffers drawn into and squared in place. Fresh
    arrays in `x * x + y * y < 1` ran 8-25x slower on these VMs (each temporary is a new
    mmap'd block, faulted in page by page), which made the peer look far weaker than it is."""
    import numpy as np
    seed, n = args
    rng = np.random.default_rng(seed)
    block = 1 << 18
    x = np.empty(block)
    y = np.empty(block)
    inside = 0
    left = n
    while left:
        m = min(left, block)
        xs, ys = x[:m], y[:m]
        rng.random(out=xs)
        rng.random(out=ys)
        np.multiply(xs, xs, out=xs)
        np.multiply(ys, ys, out=ys)
        np.add(xs, ys, out=xs)
        inside += int(np.count_nonzero(xs < 1.0))
        left -= m
    return inside


def noop(_):
    return None


def warm(_):
    """Imports numpy in a worker before the timing, as a long-lived pool would have."""
    import numpy  # noqa: F401
    return None


def chunks(samples):
    return [(i, min(CHUNK, samples - s)) for i, s in enumerate(range(0, samples, CHUNK))]


def mp_pi(samples):
    import multiprocessing as mp
    with mp.Pool(2, initializer=warm, initargs=(None,)) as pool:
        pool.map(noop, range(2))  # start-up and numpy's import outside the timing
        t = time.perf_counter()
        inside = sum(pool.map(pi_chunk, chunks(samples)))
        dt = time.perf_counter() - t
    return samples / dt, 4 * inside / samples


def mp_throughput(tasks):
    import multiprocessing as mp
    with mp.Pool(2) as pool:
        pool.map(noop, range(2))
        t = time.perf_counter()
        for _ in pool.imap_unordered(noop, range(tasks), chunksize=1):
            pass
        return tasks / (time.perf_counter() - t)


def cf_throughput(tasks):
    from concurrent.futures import ProcessPoolExecutor, wait
    with ProcessPoolExecutor(2) as ex:
        list(ex.map(noop, range(2)))
        t = time.perf_counter()
        wait([ex.submit(noop, i) for i in range(tasks)])
        return tasks / (time.perf_counter() - t)


def mpi4py_child(samples, tasks):
    """Runs inside `mpirun -n 3 python -m mpi4py.futures`: prints JSON figures."""
    from mpi4py.futures import MPIPoolExecutor
    from concurrent.futures import wait
    with MPIPoolExecutor(initializer=warm, initargs=(None,)) as ex:
        list(ex.map(noop, range(4)))
        t = time.perf_counter()
        inside = sum(ex.map(pi_chunk, chunks(samples)))
        pi_rate = samples / (time.perf_counter() - t)
        t = time.perf_counter()
        wait([ex.submit(noop, i) for i in range(tasks)])
        rate = tasks / (time.perf_counter() - t)
    print(json.dumps({"pi_rate": pi_rate, "pi": 4 * inside / samples, "throughput": rate}))


def mpi4py(samples, tasks):
    stdout = run(["mpirun", "-q", "-n", "3", "--oversubscribe", "--bind-to", "none",
                  "/usr/bin/python3", "-m", "mpi4py.futures", os.path.abspath(__file__),
                  "--mpi4py-child", "--samples", str(samples), "--tasks", str(tasks)])
    return json.loads(stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("--samples", type=int, default=200_000_000)
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--farm-tasks", type=int, default=2000)
    ap.add_argument("--json")
    ap.add_argument("--mpi4py-child", action="store_true")
    a = ap.parse_args()
    if a.mpi4py_child:
        mpi4py_child(a.samples, a.tasks)
        return

    res = {}
    print(f"== montecarlo: pi from {a.samples} samples, 2 workers")
    w = weft(a.build, "montecarlo", "--samples", str(a.samples))
    mp_rate, mp_est = mp_pi(a.samples)
    m4 = mpi4py(a.samples, a.tasks)
    res["montecarlo"] = {"weft": w["samples_per_second"], "multiprocessing": mp_rate,
                         "mpi4py": m4["pi_rate"]}
    print(f"  weft              {w['samples_per_second']:12.4g} samples/s  (pi ~ {w['estimate']:.6f})")
    print(f"  Pool.map + numpy  {mp_rate:12.4g} samples/s  (pi ~ {mp_est:.6f})  "
          f"weft/peer {w['samples_per_second'] / mp_rate:.2f}x")
    print(f"  MPIPoolExecutor   {m4['pi_rate']:12.4g} samples/s  (pi ~ {m4['pi']:.6f})  "
          f"weft/peer {w['samples_per_second'] / m4['pi_rate']:.2f}x")

    print(f"== scheduling: {a.tasks} empty tasks, chunk size 1, 2 workers")
    w = weft(a.build, "taskfarm", "--tasks", str(a.tasks), "--mean", "0", "--distribution",
             "fixed", "--chunk", "1", "--dynamic-only")
    peers = {"Pool.imap_unordered": mp_throughput(a.tasks),
             "ProcessPoolExecutor": cf_throughput(a.tasks),
             "MPIPoolExecutor": m4["throughput"]}
    wt = w["dynamic_tasks_per_second"]
    res["scheduling"] = {"weft": wt, **peers}
    split = w["extra"].get("dynamic_worker_tasks", [])
    res["scheduling"]["weft_tasks_per_worker"] = split
    print(f"  weft task_pool        {wt:12.4g} tasks/s  (tasks per worker: {split})")
    for name, rate in peers.items():
        print(f"  {name:21s} {rate:12.4g} tasks/s  weft/peer {wt / rate:.1f}x")

    print(f"== taskfarm: {a.farm_tasks} tasks of 1 ms mean, 2 workers")
    res["taskfarm"] = {}
    for dist, order in [("fixed", "random"), ("exponential", "random"),
                        ("exponential", "sorted"), ("bimodal", "random")]:
        f = weft(a.build, "taskfarm", "--tasks", str(a.farm_tasks), "--mean", "0.001",
                 "--distribution", dist, "--order", order, "--spread", "0.8")
        row = {"dynamic_wall": f["dynamic_wall"], "static_wall": f["static_wall"],
               "ideal_wall": f["ideal_wall"], "dynamic_efficiency": f["dynamic_efficiency"],
               "static_efficiency": f["static_efficiency"],
               "dynamic_busy_max_over_mean": f["dynamic_busy_max_over_mean"],
               "static_busy_max_over_mean": f["static_busy_max_over_mean"]}
        res["taskfarm"][f"{dist}/{order}"] = row
        print(f"  {dist:11s} {order:6s}  dynamic {f['dynamic_wall']:.3f} s  static "
              f"{f['static_wall']:.3f} s  ideal {f['ideal_wall']:.3f} s  "
              f"dynamic/ideal {f['dynamic_wall'] / f['ideal_wall']:.3f}  "
              f"static/dynamic {f['static_wall'] / f['dynamic_wall']:.2f}x  "
              f"efficiency {f['dynamic_efficiency']:.3f} vs {f['static_efficiency']:.3f}  "
              f"busy max/mean {f['dynamic_busy_max_over_mean']:.3f} vs "
              f"{f['static_busy_max_over_mean']:.3f}")
    write_json(a.json, res)


if __name__ == "__main__":
    main()
