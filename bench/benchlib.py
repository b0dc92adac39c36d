"""Helpers shared by the side-by-side benchmarks: launching under mpirun with a given
rank x thread layout, and reading weft's JSON result records."""
import json
import os
import subprocess
import sys
import time

ROOT_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def mpirun(ranks, threads):
    """mpirun prefix for ranks x threads: each rank bound to `threads` cores."""
    cmd = ["mpirun", "-q", "-n", str(ranks)]
    if threads > 1:
        cmd += ["--map-by", f"slot:PE={threads}", "--bind-to", "core"]
    else:
        cmd += ["--bind-to", "core"]
    return cmd + ["-x", f"OMP_NUM_THREADS={threads}", "-x", "OMP_PROC_BIND=close",
                  "-x", "OMP_PLACES=cores"]


def run(cmd, env_extra=None, timeout=900):
    """Runs cmd (with OpenMPI's root variables when root); exits the benchmark on failure."""
    env = dict(os.environ)
    if os.geteuid() == 0:
        env.update(ROOT_ENV)
    env.update(env_extra or {})
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return out.stdout


def record(stdout):
    """The JSON record `weft run ... --json -` printed (stdout carries only the record; the
    table goes to stderr)."""
    return json.loads(stdout[stdout.index("{"):])


def metric(rec, name):
    return next(m["value"] for m in rec["metrics"] if m["name"] == name)


def timed(cmd, env_extra=None):
    """Wall seconds of run(cmd)."""
    t = time.perf_counter()
    run(cmd, env_extra)
    return time.perf_counter() - t


def write_json(path, data):
    """Writes a benchmark's figures (the --json OUT of every bench_*.py)."""
    if path:
        with open(path, "w") as f:
            json.dump(data, f, indent=2)
