#!/usr/bin/python3
"""weft's nstream and pingpong side by side with plain MPI/OpenMP peers.

Runs each pair alternately (weft, peer, weft, peer, ...) in the same layouts and keeps
the best of N for each, then prints the ratio weft/peer. Layouts: 1 rank x 2 threads and
2 ranks x 1 thread (at most 2 workers on a 2-core machine).

    bench/bench_foundation.py BUILD_DIR [--rounds N] [--length L] [--json OUT]
"""
import argparse
import os

from benchlib import metric, mpirun, record, run, write_json


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--length", type=int, default=1 << 25)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--pingpong-iterations", type=int, default=20000,
                    help="round trips per size (capped at 1 GiB moved per size)")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    weft = os.path.join(a.build, "bin", "weft")
    triad = os.path.join(a.build, "bench", "bench_triad_mpi_omp")
    pingpong = os.path.join(a.build, "bench", "bench_pingpong_mpi")
    results = {"nstream": {}, "pingpong": {}}

    print(f"nstream (length {a.length}, {a.iterations} iterations), best of {a.rounds}, GB/s")
    print(f"  {'layout':<8} {'weft':>10} {'plain':>10} {'ratio':>8}")
    for ranks, threads in [(1, 2), (2, 1)]:
        launch = mpirun(ranks, threads)
        w, p = [], []
        for _ in range(a.rounds):
            rec = record(run(launch + [weft, "run", "nstream", "--length", str(a.length),
                                             "--iterations", str(a.iterations), "--json", "-"]))
            w.append(metric(rec, "bandwidth"))
            out = run(launch + [triad, str(a.length), str(a.iterations)])
            p.append(float(out.split()[1]))
        layout = f"{ranks}x{threads}"
        results["nstream"][layout] = {"weft": max(w), "plain": max(p), "ratio": max(w) / max(p)}
        print(f"  {layout:<8} {max(w):>10.2f} {max(p):>10.2f} {max(w) / max(p):>8.3f}")

    sizes = [8, 65536, 1 << 20, 1 << 24]
    print(f"pingpong (2 ranks x 1 thread), best of {a.rounds}")
    print(f"  {'size B':>10} {'weft us':>10} {'plain us':>10} {'lat ratio':>9} {'weft GB/s':>10} {'plain GB/s':>10} {'bw ratio':>9}")
    launch = mpirun(2, 1)
    best_w, best_p = {}, {}
    for _ in range(a.rounds):
        rec = record(run(launch + [weft, "run", "pingpong", "--max-size", str(1 << 24),
                                   "--iterations", str(a.pingpong_iterations), "--json", "-"]))
        for row in rec["tables"][0]["rows"]:
            size = int(row[0])
            best_w[size] = min(best_w.get(size, (1e30, 0))[0], row[2]), max(best_w.get(size, (0, 0))[1], row[3])
        for line in run(launch + [pingpong, str(1 << 24), str(a.pingpong_iterations)]).splitlines():
            size, lat, bw = line.split()
            size = int(size)
            best_p[size] = min(best_p.get(size, (1e30, 0))[0], float(lat)), max(best_p.get(size, (0, 0))[1], float(bw))
    for size in sizes:
        (wl, wb), (pl, pb) = best_w[size], best_p[size]
        results["pingpong"][str(size)] = {"weft_latency_us": wl, "plain_latency_us": pl,
                                          "weft_GBs": wb, "plain_GBs": pb,
                                          "latency_ratio_plain_over_weft": pl / wl,
                                          "bandwidth_ratio": wb / pb if pb else None}
        print(f"  {size:>10} {wl:>10.3f} {pl:>10.3f} {pl / wl:>9.3f} {wb:>10.3f} {pb:>10.3f} {wb / pb if pb else 0:>9.3f}")
    write_json(a.json, results)


if __name__ == "__main__":
    main()
