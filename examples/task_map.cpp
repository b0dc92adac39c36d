// task_map: a user's own program on weft — Python's Pool.map across ranks and threads.
// Counts the primes below N in chunks of 10,000 numbers: each chunk is one task, handed
// out dynamically to whichever worker (rank x thread) is free; the results come back in
// order on rank 0, which checks the total against a plain serial count.
//
//   OMP_NUM_THREADS=2 mpirun -n 2 ./task_map 2000000
#include <weft/weft.hpp>

#include <cstdio>
#include <cstdlib>
#include <numeric>

namespace {

bool is_prime(long n) {
  if (n < 2) return false;
  for (long d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

long primes_in(long first, long last) {
  long count = 0;
  for (long k = first; k < last; ++k) count += is_prime(k) ? 1 : 0;
  return count;
}

}  // namespace

int main(int argc, char** argv) {
  weft::set_program("task_map", "1.0.0");
  weft::environment env(argc, argv, weft::thread_level::funneled);
  return weft::environment::run([&]() -> int {
    const auto world = weft::environment::world();
    const long n = argc > 1 ? std::atol(argv[1]) : 1000000;
    if (n < 1) throw weft::usage_error("usage: task_map N (N >= 1)", true);
    constexpr long chunk = 10000;
    const auto tasks = static_cast<std::size_t>((n + chunk - 1) / chunk);

    weft::par::task_pool pool(world);
    const auto counts = pool.map_index(tasks, [&](std::size_t t) {
      const long first = static_cast<long>(t) * chunk;
      return primes_in(first, std::min(n, first + chunk));
    });
    if (world.rank() != 0) return 0;
    const long total = std::accumulate(counts.begin(), counts.end(), 0L);
    const long serial = primes_in(0, n);
    std::printf(
        "task_map: %ld primes below %ld in %zu tasks over %d ranks (serial count %ld): %s\n", total,
        n, tasks, world.size(), serial, total == serial ? "passed" : "FAILED");
    return total == serial ? 0 : 1;
  });
}
