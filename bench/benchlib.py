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


def machine():
    """What the figures were measured on: the CPU model, its vector ISA, its caches and
    the cores this process may use. Ratios travel between machines; times do not."""
    model, flags = "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model == "unknown":
                    model = value.strip()
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    isa = [name for name in ("avx512f", "avx512bw", "avx512vl", "avx2", "fma", "avx", "sse4_2")
           if name in flags]
    caches = []
    base = "/sys/devices/system/cpu/cpu0/cache"
    for index in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        def read(name, index=index):
            try:
                with open(os.path.join(base, index, name)) as f:
                    return f.read().strip()
            except OSError:
                return ""
        if index.startswith("index"):
            caches.append({"level": read("level"), "type": read("type"), "size": read("size"),
                           "shared_by_cpus": read("shared_cpu_list")})
    if not caches:
        # No cache folder in sysfs (some VMs): glibc's getconf reads CPUID.
        try:
            out = subprocess.run(["getconf", "-a"], capture_output=True, text=True).stdout
        except OSError:
            out = ""
        names = {"LEVEL1_DCACHE_SIZE": ("1", "Data"), "LEVEL1_ICACHE_SIZE": ("1", "Instruction"),
                 "LEVEL2_CACHE_SIZE": ("2", "Unified"), "LEVEL3_CACHE_SIZE": ("3", "Unified")}
        for line in out.splitlines():
            words = line.split()
            if len(words) == 2 and words[0] in names and words[1].isdigit() and int(words[1]) > 0:
                level, kind = names[words[0]]
                caches.append({"level": level, "type": kind, "size": f"{int(words[1]) // 1024}K",
                               "shared_by_cpus": "unknown (from CPUID)"})
    return {"cpu": model, "isa": isa, "caches": caches,
            "cores": len(os.sched_getaffinity(0)), "kernel": os.uname().release}


def write_json(path, data):
    """Writes a benchmark's figures (the --json OUT of every bench_*.py) with the machine
    they were measured on."""
    if path:
        data = dict(data)
        data["machine"] = machine()
        with open(path, "w") as f:
            json.dump(data, f, indent=2)
