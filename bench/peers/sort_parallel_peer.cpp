// A single-process parallel sort (GNU parallel mode, OpenMP threads) of the same keys
// weft's sort kernel generates: the reference for the distributed sort on the same cores.
//
//   OMP_NUM_THREADS=T sort_parallel_peer KEYS ITERATIONS [SEED]
//
// Keys are uniform f64 from weft's counter_rng (the kernel's "uniform" distribution).
// Prints "parallel_sort <keys/s> <seconds per sort>" (mean of the timed sorts after one
// untimed warm-up; each sort starts from a fresh copy of the keys).
#include <omp.h>
#include <parallel/algorithm>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "weft/par/rng.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: sort_parallel_peer KEYS ITERATIONS [SEED]\n");
    return 2;
  }
  const long long n = std::atoll(argv[1]);
  const int iterations = std::atoi(argv[2]);
  const auto seed = static_cast<std::uint64_t>(argc > 3 ? std::atoll(argv[3]) : 1);
  std::vector<double> original(static_cast<std::size_t>(n)), keys;
  double* out = original.data();
#pragma omp parallel for schedule(static) default(none) shared(out, n, seed)
  for (long long i = 0; i < n; ++i) {
    out[i] = weft::par::counter_rng::uniform(seed, static_cast<std::uint64_t>(i));
  }
  double total = 0;
  for (int it = 0; it <= iterations; ++it) {
    keys = original;
    const auto t0 = std::chrono::steady_clock::now();
    __gnu_parallel::sort(keys.begin(), keys.end());
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (it > 0) total += dt;
  }
  if (!std::is_sorted(keys.begin(), keys.end())) {
    std::printf("parallel_sort validation FAILED\n");
    return 1;
  }
  const double per = total / iterations;
  std::printf("parallel_sort %.6g %.6g\n", static_cast<double>(n) / per, per);
  return 0;
}
