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
        # A PyTables-like table: nested and string fields.
        table = np.zeros(8, dtype=[("t", "<f4"), ("pos", [("x", ">f8"), ("y", "<i2")]),
                                   ("name", "S4")])
        table["t"] = np.arange(8)
        table["pos"]["x"] = np.arange(8) * 2.5
        table["pos"]["y"] = -np.arange(8)
        f["table"] = table
        f.create_dataset("enum", data=np.array([0, 1, 7, 7], dtype="i1"),
                         dtype=h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 7}, basetype="i1"))
        # Fill values as h5py (the creation property) and netCDF/CF (attributes) declare them.
        filled = f.create_dataset("filled", data=np.array([1, 2, -999, 4, 1e20, 5], dtype="f4"),
                                  fillvalue=-999)
        filled.attrs["_FillValue"] = np.float32(-999)
        filled.attrs["missing_value"] = np.float32(1e20)
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
    # Files `data generate --add` adds to, one per rank count of its test.
    for ranks in (1, 2):
        with h5py.File(os.path.join(d, f"add_{ranks}.h5"), "w") as f:
            f["old"] = np.arange(10.0)
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


def reduce_stats(weft, mpi, ranks, target, d, threads=1, extra=()):
    out = os.path.join(d, f"r{ranks}.json")
    run(mpi + ["-n", str(ranks), weft, "run", "reduce", "--input", target,
               "--threads", str(threads), "--json", out] + list(extra))
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
    netcdf(d, weft, mpi)
    tables(d, weft, mpi)
    # histogram output opens in h5py.
    h = os.path.join(d, "hist.h5")
    run(mpi + ["-n", "2", weft, "run", "histogram", "--input", f"{c}:/big", "--bins", "20",
               "--output", h, "--force"])
    with h5py.File(h, "r") as f:
        counts, edges = f["counts"][...], f["edges"][...]
        check(counts.sum() == base.size and len(edges) == 21, "histogram counts and edges in h5py")
        check(edges[0] == base.min() and edges[-1] == base.max(), "auto range is min:max")
        check(f.attrs["software"] == "weft", "histogram output carries provenance")


def netcdf(d, weft, mpi):
    """A netCDF-4 file as climate models write it (python3-netcdf4: unlimited time, zlib,
    _FillValue and missing_value, time x level x lat x lon) against numpy."""
    import netCDF4  # noqa: E402 (Debian's python3-netcdf4)
    path = os.path.join(d, "climate.nc")
    rng = np.random.default_rng(11)
    data = rng.normal(280, 15, size=(6, 4, 9, 12)).astype("f4")
    missing = rng.random(data.shape) < 0.1
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.createDimension("time", None)
        for name, n in (("level", 4), ("lat", 9), ("lon", 12)):
            nc.createDimension(name, n)
            nc.createVariable(name, "f8", (name,))[:] = np.arange(n)
        t = nc.createVariable("ta", "f4", ("time", "level", "lat", "lon"), zlib=True,
                              complevel=4, fill_value=np.float32(-1e30))
        t.missing_value = np.float32(-999)
        t.units = "K"
        t[0:6] = np.ma.masked_array(data, mask=missing)  # masked -> _FillValue
        t[5, 0, 0, 0] = -999  # the other marker
    with netCDF4.Dataset(path) as nc:
        x = nc["ta"][...]  # masked where _FillValue or missing_value
    valid = x.compressed().astype(np.float64)
    check(x.mask.sum() == missing.sum() + (0 if missing[5, 0, 0, 0] else 1),
          "netCDF4 masks _FillValue and missing_value")
    for ranks in (1, 2):
        s = reduce_stats(weft, mpi, ranks, f"{path}:/ta", d, extra=["--skip-fill"])
        ok = (s["count"] == valid.size and s["fill"] == x.mask.sum() and s["nan"] == 0
              and s["min"] == valid.min() and s["max"] == valid.max()
              and abs(s["sum"] - valid.sum()) <= 1e-12 * np.abs(valid).sum()
              and abs(s["variance"] - valid.var()) <= 1e-9 * valid.var())
        check(ok, f"reduce --skip-fill of a netCDF-4 variable equals numpy's masked "
                  f"statistics at {ranks} ranks")
    s = reduce_stats(weft, mpi, 2, f"{path}:/ta", d)
    check(s["count"] == x.size and "fill" not in s, "without --skip-fill, fill values are data")
    info = json.loads(run([weft, "data", "info", path + ":/ta", "--json"]).stdout)
    fills = {f["source"]: f["value"] for f in info["objects"][0]["fill_values"]}
    check(fills.get("_FillValue") == np.float32(-1e30) and fills.get("missing_value") == -999,
          "data info --json lists _FillValue and missing_value")


def tables(d, weft, mpi):
    """Compound (PyTables/h5py structured) fields, enums and scalars against numpy, and a
    dataset added to an h5py file by `data generate --add`."""
    path = os.path.join(d, "table.h5")
    rng = np.random.default_rng(3)
    rows = np.zeros(5000, dtype=[("id", "<i8"), ("obs", [("temp", "<f4"), ("wind", ">f8")]),
                                 ("flag", "S1")])
    rows["id"] = np.arange(5000)
    rows["obs"]["temp"] = rng.normal(15, 8, 5000)
    rows["obs"]["wind"] = rng.gamma(2, 3, 5000)
    with h5py.File(path, "w") as f:
        f.create_dataset("rows", data=rows, chunks=(512,), compression="gzip")
        f["keep"] = np.arange(7.0)
    for field in ("id", "obs.temp", "obs.wind"):
        x = rows[field.split(".")[0]]
        if "." in field:
            x = x[field.split(".")[1]]
        x = x.astype(np.float64)
        for ranks in (1, 2):
            s = reduce_stats(weft, mpi, ranks, f"{path}:/rows#{field}", d)
            ok = (s["count"] == x.size and s["min"] == x.min() and s["max"] == x.max()
                  and abs(s["sum"] - x.sum()) <= 1e-12 * np.abs(x).sum())
            check(ok, f"reduce reads field {field} of a compound at {ranks} ranks")
    run(mpi + ["-n", "2", weft, "data", "generate", "-o", path + ":/extra/g", "--shape", "30x4",
               "--pattern", "gradient", "--add"])
    with h5py.File(path, "r") as f:
        i, j = np.indices((30, 4))
        check(np.allclose(f["extra/g"][...], i / 30 + j / 4), "--add wrote the new dataset")
        check(np.array_equal(f["rows"][...], rows) and np.array_equal(f["keep"][...], np.arange(7.0)),
              "--add left the file's other datasets as they were")


if __name__ == "__main__":
    if sys.argv[1] == "fixtures":
        fixtures(sys.argv[2])
    else:
        interop(sys.argv[2], sys.argv[3], sys.argv[4])
