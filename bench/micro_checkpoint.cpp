// Micro-benchmark (Google Benchmark) of io::checkpoint::write with and without its
// read-back verification, one rank, a 2048 x 2048 field of doubles (32 MiB) plus three
// scalars, into the folder WEFT_BENCH_DIR (default: the current one). Each write
// publishes the file (fsync, rename) and prunes to the newest 2. Compare the time per
// write of the two rows of one run (docs/library.md#checkpoints).
//   mpirun -n 1 BUILD/bench/bench_micro_checkpoint [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "weft/core/environment.hpp"
#include "weft/grid/dist_array.hpp"
#include "weft/io/checkpoint.hpp"

namespace {

std::filesystem::path folder() {
  const char* d = std::getenv("WEFT_BENCH_DIR");
  return d != nullptr && *d != '\0' ? std::filesystem::path(d) : std::filesystem::path(".");
}

void write_checkpoint(benchmark::State& state) {
  const auto world = weft::environment::world();
  const weft::index_t n = state.range(0);
  const bool verify = state.range(1) != 0;
  weft::grid::dist_array<double, 2> u(weft::grid::decomposition::over(world, {n, n}), 1);
  u.fill([](const std::array<weft::index_t, 2>& g) {
    return static_cast<double>(g[0]) * 0.5 + static_cast<double>(g[1]);
  });
  double time = 1.5;
  long long counter = 3;
  const std::string prefix = (folder() / (verify ? "bench-verified" : "bench-unverified")).string();
  weft::io::checkpoint ckpt(world, {.prefix = prefix, .keep = 2, .verify = verify});
  ckpt.add("u", u);
  ckpt.add("time", time);
  ckpt.add("counter", counter);
  long long step = 0;
  for (auto _ : state) (void)ckpt.write(++step);
  for (const auto& [s, path] : ckpt.list()) std::filesystem::remove(path);
  state.SetBytesProcessed(state.iterations() * n * n * static_cast<long long>(sizeof(double)));
}

}  // namespace

BENCHMARK(write_checkpoint)
    ->ArgNames({"n", "verify"})
    ->Args({2048, 0})
    ->Args({2048, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

int main(int argc, char** argv) {
  const weft::environment env(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
