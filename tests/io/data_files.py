#!/usr/bin/python3
"""Test data for weft's dataset commands, written and checked with h5py.

  data_files.py fixtures DIR          write the good and bad inputs the CLI tests use
  data_files.py interop DIR WEFT MPI  files written by weft open in h5py with the right
                                      values and attributes; files written by h5py
                                      (chunked, gzip, big-endian, int16) are read by weft
"""
import json
import os
import subprocess
import sys

# h5py (the serial HDF5) finds Debian's filter plugins (LZ4, bzip2, blosc) here; set
# before h5py loads HDF5, which reads the variable once.
SERIAL_PLUGINS = "/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins"
os.environ.setdefault("HDF5_PLUGIN_PATH", SERIAL_PLUGINS)

import h5py  # noqa: E402
import numpy as np  # noqa: E402

MASK32 = 0xFFFFFFFF


def philox(counter, key):
    """Philox4x32-10, as weft::counter_rng::philox."""
    c = list(counter)
    k0, k1 = key
    for r in range(10):
        if r:
            k0 = (k0 + 0x9E3779B9) & MASK32
            k1 = (k1 + 0xBB67AE85) & MASK32
        p0 = 0xD2511F53 * c[0]
        p1 = 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k0) & MASK32, p1 & MASK32,
             ((p0 >> 32) ^ c[3] ^ k1) & MASK32, p0 & MASK32]
    return c


def uniform(seed, index):
    b = philox([index & MASK32, index >> 32, 0, 0], [seed & MASK32, seed >> 32])
    return ((b[1] << 32 | b[0]) >> 11) * 2.0 ** -53


def fixtures(d):
    os.makedirs(d, exist_ok=True)
    with h5py.File(os.path.join(d, "good.h5"), "w") as f:
        f["values"] = np.arange(60, dtype="f8").reshape(6, 10)
        f.create_group("group")
        f["text"] = np.array([b"abc", b"def"], dtype="S3")
        f["pairs"] = np.zeros(3, dtype=[("a", "f8"), ("b", "i4")])
        f["scalar"] = 3.0
        f.create_dataset("empty", shape=(0, 4), dtype="f8")
        # netCDF-4's commonest layout: time x level x lat x lon.
        f["climate"] = np.arange(120, dtype="f4").reshape(2, 3, 4, 5)
    # Filters HDF5 decodes only through plugins: h5py's own LZF, and LZ4 (32004), bzip2
    # (307) and blosc (32001, lz4 inside, byte shuffle) through Debian's plugins.
    with h5py.File(os.path.join(d, "filters.h5"), "w") as f:
        values = np.arange(1000, dtype="f8")
        f.create_dataset("lzf", data=values, chunks=(100,), compression="lzf")
        f.create_dataset("lz4", data=values, chunks=(100,), compression=32004)
        f.create_dataset("bzip2", data=values, chunks=(100,), compression=307)
        f.create_dataset("blosc", data=values, chunks=(100,), compression=32001,
                         compression_opts=(0, 0, 0, 0, 5, 1, 1))
    os.makedirs(os.path.join(d, "no-plugins"), exist_ok=True)
    with open(os.path.join(d, "text.h5"), "w") as f:
        f.write("this is not an HDF5 file\n" * 10)
    with open(os.path.join(d, "good.h5"), "rb") as f:
        head = f.read()
    with open(os.path.join(d, "cut.h5"), "wb") as f:
        f.write(head[: len(head) // 2])


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} -> {p.returncode}\n{p.stdout}\n{p.stderr}")
    if "HDF5-DIAG" in p.stdout + p.stderr:
        sys.exit(f"FAIL: HDF5-DIAG in the output of {' '.join(cmd)}")
    return p


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
    print("ok:", what)


def reduce_stats(weft, mpi, ranks, target, d, threads=1):
    out = os.path.join(d, f"r{ranks}.json")
    run(mpi + ["-n", str(ranks), weft, "run", "reduce", "--input", target,
               "--threads", str(threads), "--json", out])
    with open(out) as f:
        return json.load(f)["extra"]["statistics"]


def interop(d, weft, mpiexec):
    os.makedirs(d, exist_ok=True)
    mpi = [mpiexec, "--oversubscribe", "-q"]
    # weft -> h5py: values, chunking, compression, provenance.
    a = os.path.join(d, "weft_random.h5")
    run(mpi + ["-n", "2", weft, "data", "generate", "-o", a + ":/fields/u", "--shape", "64x48",
               "--dtype", "f64", "--pattern", "random", "--seed", "5", "--chunk", "16x16",
               "--compress", "3", "--force"])
    with h5py.File(a, "r") as f:
        u = f["/fields/u"]
        check(u.shape == (64, 48) and u.dtype == np.float64, "weft's dataset has its shape and type")
        check(u.chunks == (16, 16) and u.compression == "gzip", "weft's dataset is chunked and gzip'd")
        v = u[...]
        want = np.array([uniform(5, i) for i in range(64 * 48)]).reshape(64, 48)
        check(np.array_equal(v, want), "weft's random values equal Philox uniform(seed, index)")
        attrs = f.attrs
        check(attrs["software"] == "weft", "provenance: software")
        check(int(attrs["ranks"]) == 2, "provenance: ranks")
        check(json.loads(attrs["parameters"])["seed"] == 5, "provenance: parameters")
        for key in ("softwareVersion", "date", "git_revision", "command_line", "hdf5", "mpi"):
            check(key in attrs, "provenance: " + key)
    b = os.path.join(d, "weft_grad.h5")
    run(mpi + ["-n", "3", weft, "data", "generate", "-o", b + ":/g", "--shape", "5x7x3",
               "--dtype", "i32", "--pattern", "gradient", "--force"])
    with h5py.File(b, "r") as f:
        i, j, k = np.indices((5, 7, 3))
        check(f["g"].dtype == np.int32 and np.array_equal(f["g"][...], i + j + k),
              "weft's int32 gradient reads back in h5py at 3 ranks")
    # h5py -> weft: chunked, gzip, big-endian, int16, float32.
    rng = np.random.default_rng(7)
    base = rng.normal(10, 3, size=(300, 70))
    c = os.path.join(d, "h5py.h5")
    with h5py.File(c, "w") as f:
        f.create_dataset("gzip", data=base, chunks=(32, 16), compression="gzip", shuffle=True)
        f.create_dataset("big", data=base.astype(">f8"))
        f.create_dataset("i16", data=(base * 100).astype(">i2"), chunks=(50, 70),
                         compression="gzip")
        f.create_dataset("f32", data=base.astype("<f4"))
        f.create_dataset("u16", data=np.arange(1000, dtype="<u2"))
    for name in ("gzip", "big", "i16", "f32", "u16"):
        with h5py.File(c, "r") as f:
            x = f[name][...].astype(np.float64)
        for ranks in (1, 2):
            s = reduce_stats(weft, mpi, ranks, f"{c}:/{name}", d)
            ok = (s["count"] == x.size and s["min"] == x.min() and s["max"] == x.max()
                  and abs(s["sum"] - x.sum()) <= 1e-12 * np.abs(x).sum()
                  and abs(s["variance"] - x.var()) <= 1e-10 * x.var())
            check(ok, f"weft reduce reads h5py's {name} at {ranks} ranks")
    # Bitwise: the same statistics at 1x1, 1x2, 2x1, 3x1.
    bits = set()
    for ranks, threads in ((1, 1), (1, 2), (2, 1), (3, 1)):
        s = reduce_stats(weft, mpi, ranks, f"{c}:/gzip", d, threads)
        bits.add((s["sum_bits"], s["variance_bits"], s["min"], s["max"], str(s["min_index"])))
    check(len(bits) == 1, "reduce gives identical bits at 1x1, 1x2, 2x1 and 3x1")
    # histogram output opens in h5py.
    h = os.path.join(d, "hist.h5")
    run(mpi + ["-n", "2", weft, "run", "histogram", "--input", f"{c}:/big", "--bins", "20",
               "--output", h, "--force"])
    with h5py.File(h, "r") as f:
        counts, edges = f["counts"][...], f["edges"][...]
        check(counts.sum() == base.size and len(edges) == 21, "histogram counts and edges in h5py")
        check(edges[0] == base.min() and edges[-1] == base.max(), "auto range is min:max")
        check(f.attrs["software"] == "weft", "histogram output carries provenance")


if __name__ == "__main__":
    if sys.argv[1] == "fixtures":
        fixtures(sys.argv[2])
    else:
        interop(sys.argv[2], sys.argv[3], sys.argv[4])
