#!/usr/bin/python3
"""weft's grid kernels (stencil, transpose) against the machine's memory-bandwidth roofline.

For each layout (rank grid 1x1 with 2 threads, 1x2 and 2x1 with 1 thread per rank) it
measures, in the same invocation and alternately: nstream (the bandwidth roofline, PRK
counting 32 B per element), stencil without and with overlap, and transpose. Best of N
for each. Printed per layout:

  stencil   MFlop/s; its roofline = nstream GB/s / 40 B per point * (2*(4R+1)+1) flops
            per point (40 B: out read+written 16 B, in read 8 B, in += 1 read+written 16 B);
            the fraction of that roofline; the ratio overlap / plain.
  transpose GB/s (PRK's 2 * 8 B * order^2 per iteration) and its fraction of nstream's GB/s.

    bench/bench_grid.py BUILD_DIR [--rounds N] [--n N] [--order N] [--json OUT]
"""
import argparse
import os

from benchlib import metric, mpirun, record, run, write_json


def weft_run(cmd):
    return record(run(cmd))

BYTES_PER_POINT = 40.0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=4000, help="stencil grid points per axis")
    ap.add_argument("--radius", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--order", type=int, default=3000,
                    help="transpose matrix order (avoid large powers of 2: cache set conflicts)")
    ap.add_argument("--length", type=int, default=1 << 25, help="nstream length")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    weft = os.path.join(a.build, "bin", "weft")
    flops_per_point = 2 * (4 * a.radius + 1) + 1
    results = {"stencil_bytes_per_point": BYTES_PER_POINT, "radius": a.radius, "n": a.n,
               "order": a.order, "layouts": {}}
    print(f"stencil n={a.n} R={a.radius} ({flops_per_point} flops and {BYTES_PER_POINT:.0f} B per "
          f"point), transpose order={a.order}; best of {a.rounds}")
    print(f"  {'grid':<5} {'ranks x thr':>11} {'nstream':>9} {'stencil':>9} {'overlap':>9} "
          f"{'roofline':>9} {'fraction':>8} {'ovl/plain':>9} {'transpose':>9} {'tr/bw':>6}")
    print(f"  {'':<5} {'':>11} {'GB/s':>9} {'MFlop/s':>9} {'MFlop/s':>9} {'MFlop/s':>9} "
          f"{'':>8} {'':>9} {'GB/s':>9} {'':>6}")
    for grid, ranks, threads in [("1x1", 1, 2), ("1x2", 2, 1), ("2x1", 2, 1)]:
        launch = mpirun(ranks, threads)
        bw, plain, ovl, tr = [], [], [], []
        for _ in range(a.rounds):
            bw.append(metric(weft_run(launch + [weft, "run", "nstream", "--length", str(a.length),
                                           "--json", "-"]), "bandwidth"))
            base = [weft, "run", "stencil", "--n", str(a.n), "--radius", str(a.radius),
                    "--iterations", str(a.iterations), "--grid", grid, "--json", "-"]
            plain.append(metric(weft_run(launch + base), "rate"))
            ovl.append(metric(weft_run(launch + base + ["--overlap"]), "rate"))
            tr.append(metric(weft_run(launch + [weft, "run", "transpose", "--order", str(a.order),
                                           "--iterations", str(a.iterations // 2), "--json", "-"]),
                             "bandwidth"))
        b, p, o, t = max(bw), max(plain), max(ovl), max(tr)
        roof = b * 1e9 / BYTES_PER_POINT * flops_per_point / 1e6
        row = {"ranks": ranks, "threads": threads, "nstream_GBs": b, "stencil_MFlops": p,
               "stencil_overlap_MFlops": o, "stencil_roofline_MFlops": roof,
               "stencil_fraction": max(p, o) / roof, "overlap_over_plain": o / p,
               "transpose_GBs": t, "transpose_fraction": t / b}
        results["layouts"][grid] = row
        print(f"  {grid:<5} {f'{ranks} x {threads}':>11} {b:>9.2f} {p:>9.0f} {o:>9.0f} {roof:>9.0f} "
              f"{row['stencil_fraction']:>8.2f} {row['overlap_over_plain']:>9.3f} {t:>9.2f} "
              f"{row['transpose_fraction']:>6.2f}")
    write_json(a.json, results)


if __name__ == "__main__":
    main()
