#!/usr/bin/python3
"""weft's dgemm, sort and spmv side by side with their peers, in one run.

  dgemm: weft (SUMMA + OpenBLAS) against ScaLAPACK pdgemm (same n, block, rank grid and
         BLAS) and against one OpenBLAS dgemm call in one process using every core.
  sort:  weft's distributed sample sort at 2 ranks x 1 thread against a single-process
         GNU parallel-mode sort of the same keys with 2 threads.
  spmv:  weft's GFlop/s against its memory-bandwidth roofline, 2 flops per
         bytes_per_nonzero at the bandwidth nstream measures in the same run.

Each pair runs alternately (weft, peer, weft, peer, ...) and keeps the best of N rounds.
Layouts use at most 2 workers (a 2-core machine); pass --cores for bigger ones.

    bench/bench_dense.py BUILD_DIR [--rounds N] [--order N] [--block B] [--keys K]
                         [--scale S] [--cores C] [--json OUT]
"""
import argparse
import os
import sys

from benchlib import metric, mpirun, record, run, write_json


def weft_record(cmd):
    out = run(cmd + ["--json", "-"])
    rec = record(out)
    if not rec["validation"]["passed"]:
        sys.exit(f"bench: {' '.join(cmd)} did not validate: {rec['validation']}")
    return rec


def peer_rate(stdout, label):
    for line in stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == label:
            return float(parts[1])
    sys.exit(f"bench: no '{label}' line in:\n{stdout}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--order", type=int, default=3000)
    ap.add_argument("--block", type=int, default=256)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--keys", type=int, default=1 << 24)
    ap.add_argument("--scale", type=int, default=11)
    ap.add_argument("--radius", type=int, default=2)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    weft = os.path.join(a.build, "bin", "weft")
    bench = os.path.join(a.build, "bench")
    c = a.cores
    results = {"dgemm": {}, "sort": {}, "spmv": {}}

    # --- dgemm ---------------------------------------------------------------------------
    print(f"dgemm (n {a.order}, block {a.block}, {a.iterations} multiplies), best of {a.rounds}, GFlop/s")
    print(f"  {'layout':<10} {'grid':<6} {'weft':>8} {'pdgemm':>8} {'openblas':>9} {'w/pdgemm':>9} {'w/openblas':>10}")
    blas = []
    for _ in range(a.rounds):
        blas.append(peer_rate(run([os.path.join(bench, "bench_dgemm_blas_peer"), str(a.order),
                                   str(a.iterations)], {"OMP_NUM_THREADS": str(c)}), "openblas"))
    best_blas = max(blas)
    for ranks, threads, grid in [(c, 1, f"{c}x1"), (c, 1, f"1x{c}"), (1, c, "1x1")]:
        launch = mpirun(ranks, threads)
        rows, cols = grid.split("x")
        w, p = [], []
        for _ in range(a.rounds):
            rec = weft_record(launch + [weft, "run", "dgemm", "--order", str(a.order), "--block",
                                        str(a.block), "--grid", grid, "--iterations", str(a.iterations)])
            w.append(metric(rec, "rate"))
            p.append(peer_rate(run(launch + [os.path.join(bench, "bench_pdgemm_peer"), str(a.order),
                                             str(a.block), rows, cols, str(a.iterations)]), "pdgemm"))
        layout = f"{ranks}x{threads}"
        bw, bp = max(w), max(p)
        results["dgemm"][f"{layout} {grid}"] = {"weft": bw, "pdgemm": bp, "openblas": best_blas,
                                                "ratio_pdgemm": bw / bp, "ratio_openblas": bw / best_blas}
        print(f"  {layout:<10} {grid:<6} {bw:>8.2f} {bp:>8.2f} {best_blas:>9.2f} {bw / bp:>9.3f} {bw / best_blas:>10.3f}")

    # --- sort ----------------------------------------------------------------------------
    print(f"sort ({a.keys} uniform f64 keys), best of {a.rounds}, Mkeys/s")
    w, p = [], []
    for _ in range(a.rounds):
        rec = weft_record(mpirun(c, 1) + [weft, "run", "sort", "--keys", str(a.keys), "--iterations",
                                          str(a.iterations)])
        w.append(metric(rec, "keys_per_second"))
        p.append(peer_rate(run([os.path.join(bench, "bench_sort_parallel_peer"), str(a.keys),
                                str(a.iterations)], {"OMP_NUM_THREADS": str(c)}), "parallel_sort"))
    bw, bp = max(w), max(p)
    results["sort"] = {"weft_keys_per_s": bw, "parallel_sort_keys_per_s": bp, "ratio": bw / bp,
                       "layout": f"weft {c}x1, peer 1x{c}"}
    print(f"  weft {c} ranks x 1 thread {bw / 1e6:>8.2f}   parallel sort 1 x {c} threads {bp / 1e6:>8.2f}   ratio {bw / bp:.3f}")

    # --- spmv ----------------------------------------------------------------------------
    print(f"spmv (scale {a.scale}, radius {a.radius}) against its bandwidth roofline, best of {a.rounds}")
    for ranks, threads in [(c, 1), (1, c)]:
        launch = mpirun(ranks, threads)
        g, bws, bpn = [], [], 0
        for _ in range(a.rounds):
            rec = weft_record(launch + [weft, "run", "spmv", "--scale", str(a.scale), "--radius",
                                        str(a.radius), "--iterations", "20"])
            g.append(metric(rec, "rate"))
            bpn = metric(rec, "bytes_per_nonzero")
            bws.append(metric(weft_record(launch + [weft, "run", "nstream"]), "bandwidth"))
        gf, bw = max(g), max(bws)
        roof = 2.0 * bw / bpn
        layout = f"{ranks}x{threads}"
        results["spmv"][layout] = {"gflops": gf, "nstream_GBs": bw, "bytes_per_nonzero": bpn,
                                   "roofline_gflops": roof, "fraction_of_roofline": gf / roof}
        print(f"  {layout:<6} {gf:>7.2f} GFlop/s   nstream {bw:>6.2f} GB/s   {bpn:.2f} B/nnz   "
              f"roofline {roof:>6.2f} GFlop/s   {gf / roof:.3f} of it")
    write_json(a.json, results)


if __name__ == "__main__":
    main()
