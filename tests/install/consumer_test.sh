#!/usr/bin/env bash
# Installs weft from BUILD_DIR into a temporary prefix, configures and builds the consumer
# project against it with find_package(weft), and runs it on 2 ranks; then builds the
# programs of examples/ (EXAMPLES) the same way and runs each as docs/library.md shows.
set -euo pipefail
build=$1 source=$2 examples=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/weft/weft.hpp"
test -f "$work/prefix/lib/cmake/weft/weftConfig.cmake" || test -f "$work/prefix/lib/x86_64-linux-gnu/cmake/weft/weftConfig.cmake"
cmake -S "$source" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
out=$(timeout -k 5 60 mpirun -n 2 --oversubscribe "$work/build/consumer")
echo "$out"
grep -q "consumer: sum 3 over 2 ranks" <<<"$out"

[[ -n $examples ]] || exit 0
cmake -S "$examples" -B "$work/examples" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/examples" >/dev/null
run() { timeout -k 5 120 mpirun -q --oversubscribe "$@"; }
cd "$work"
# jacobi: 300 sweeps on 2 ranks, then resumed from its checkpoint to 400 sweeps on 1 rank.
out=$(run -n 2 "$work/examples/jacobi" 64 300)
echo "$out"
grep -q "300 sweeps on 2 ranks.*passed" <<<"$out"
test -f jacobi.h5 && test -f jacobi.ckpt.00000300.h5
out=$(run -n 1 "$work/examples/jacobi" 64 400 --restart)
echo "$out"
grep -q "400 sweeps on 1 ranks.*passed" <<<"$out"
# dataset_stats against numpy on a file weft generated.
"$work/prefix/bin/weft" data generate -o "$work/data.h5:/grid/t" --shape 300x70 --pattern gaussian --seed 5 >/dev/null
out=$(run -n 2 "$work/examples/dataset_stats" "$work/data.h5:/grid/t")
echo "$out"
/usr/bin/python3 - "$work/data.h5" "$out" <<'PY'
import sys, h5py, numpy as np
x = h5py.File(sys.argv[1], "r")["/grid/t"][...].astype(np.float64)
fields = dict(kv.split(" ") for kv in sys.argv[2].split(", ")[1:])
for name, want in (("mean", x.mean()), ("std", x.std()), ("min", x.min()), ("max", x.max())):
    got = float(fields[name])
    assert abs(got - want) <= 1e-12 * max(1.0, abs(want)), (name, got, want)
assert int(fields["count"]) == x.size
PY
# A missing dataset: one line, exit code 3, from every rank.
set +e
err=$(run -n 2 "$work/examples/dataset_stats" "$work/data.h5:/nope" 2>&1 >/dev/null)
rc=$?
set -e
echo "$err"
[[ $rc -eq 3 && $(grep -c '' <<<"$err") -eq 1 && $err == dataset_stats:* ]]
# task_map: 2 ranks x 2 threads.
out=$(OMP_NUM_THREADS=2 run -n 2 --bind-to none "$work/examples/task_map" 300000)
echo "$out"
grep -q "passed" <<<"$out"
