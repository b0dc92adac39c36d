#!/usr/bin/env bash
# Installs weft from BUILD_DIR into a temporary prefix, configures and builds the consumer
# project against it with find_package(weft), and runs it on 2 ranks.
set -euo pipefail
build=$1 source=$2
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
