#!/usr/bin/python3
"""weft's nstream, transpose and spmv side by side with the Parallel Research Kernels'
definitions written as plain MPI+OpenMP peers (bench/peers/*_prk.cpp, triad_mpi_omp.cpp),
compiled with the same flags.

For each layout (2 ranks x 1 thread, 1 rank x 2 threads) the pairs run alternately
(weft, peer, weft, peer, ...) and each keeps its best of N; printed: both rates and the
ratio weft / peer. nstream at two lengths (GB/s, 32 B per element), transpose (GB/s,
2 * 8 * order^2 B per iteration), spmv plain (also with 32-bit column indices, idx32) and
scrambled (GFlop/s, 2 nnz per iteration).

    bench/bench_prk.py BUILD_DIR [--rounds N] [--order N] [--scale S] [--only spmv]
                       [--json OUT]
"""
import argparse
import os

from benchlib import machine, metric, mpirun, record, run, write_json


def peer_value(out):
    return float(out.split()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--lengths", default="10000000,50000000", help="nstream lengths")
    ap.add_argument("--order", type=int, default=8000, help="transpose order")
    ap.add_argument("--scale", type=int, default=11, help="spmv: 2^scale x 2^scale grid")
    ap.add_argument("--radius", type=int, default=2)
    ap.add_argument("--only", help="run only the cases whose name starts with this "
                    "(nstream, transpose, spmv)")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    weft = os.path.join(a.build, "bin", "weft")
    peer = lambda name: os.path.join(a.build, "bench", name)  # noqa: E731
    cases = []
    for length in [int(x) for x in a.lengths.split(",")]:
        cases.append((f"nstream {length // 1000000}M", "GB/s",
                      [weft, "run", "nstream", "--length", str(length), "--iterations", "20"],
                      "bandwidth", [peer("bench_triad_mpi_omp"), str(length), "20"]))
    cases.append((f"transpose {a.order}", "GB/s",
                  [weft, "run", "transpose", "--order", str(a.order), "--iterations", "10"],
                  "bandwidth", [peer("bench_transpose_prk"), str(a.order), "10"]))
    # The plain matrix also with 32-bit column indices: what the packed ones bring.
    for scramble, indices in ((False, "auto"), (False, "32"), (True, "auto")):
        name = f"spmv {a.scale} R{a.radius}" + (" scrambled" if scramble else "") + \
            (" idx32" if indices == "32" else "")
        cases.append((name, "GFlop/s",
                      [weft, "run", "spmv", "--scale", str(a.scale), "--radius", str(a.radius),
                       "--iterations", "10", "--indices", indices] +
                      (["--scramble"] if scramble else []),
                      "rate", [peer("bench_sparse_prk"), str(a.scale), str(a.radius), "10"] +
                      (["scramble"] if scramble else [])))
    if a.only:
        cases = [c for c in cases if c[0].startswith(a.only)]
    m = machine()
    print(f"CPU: {m['cpu']} ({', '.join(m['isa'][:3])}), best of {a.rounds}")
    print(f"  {'case':<24} {'layout':<6} {'weft':>9} {'PRK-style':>9} {'unit':<8} {'ratio':>6}")
    results = {"cases": []}
    for ranks, threads in [(2, 1), (1, 2)]:
        launch = mpirun(ranks, threads)
        layout = f"{ranks}x{threads}"
        for name, unit, weft_cmd, metric_name, peer_cmd in cases:
            w, p = [], []
            for _ in range(a.rounds):
                w.append(metric(record(run(launch + weft_cmd + ["--json", "-"])), metric_name))
                p.append(peer_value(run(launch + peer_cmd)))
            row = {"case": name, "layout": layout, "unit": unit, "weft": max(w), "peer": max(p),
                   "ratio": max(w) / max(p)}
            results["cases"].append(row)
            print(f"  {name:<24} {layout:<6} {max(w):>9.3f} {max(p):>9.3f} {unit:<8} "
                  f"{row['ratio']:>6.2f}")
    write_json(a.json, results)


if __name__ == "__main__":
    main()
