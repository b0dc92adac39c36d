// Micro-benchmark (Google Benchmark) of par::exact_sum against a plain vectorised sum and
// a Kahan sum, one thread, over arrays that fit in L1, in L2 and only in memory. Items
// are doubles; compare the items/s of the rows of one run (docs/patterns.md#exact-sums).
//   BUILD/bench/bench_micro_exact_sum [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cstddef>
#include <random>
#include <span>
#include <vector>

#include "weft/par/exact_sum.hpp"

namespace {

std::vector<double> values(std::size_t n) {
  std::mt19937_64 g(1);
  std::normal_distribution<double> normal(10.0, 3.0);
  std::vector<double> x(n);
  for (auto& v : x) v = normal(g);
  return x;
}

void plain(benchmark::State& state) {
  const auto x = values(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (std::size_t i = 0; i < x.size(); ++i) s += x[i];
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void kahan(benchmark::State& state) {
  const auto x = values(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    double s = 0;
    double c = 0;
    for (const double v : x) {
      const double y = v - c;
      const double t = s + y;
      c = (t - s) - y;
      s = t;
    }
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void exact(benchmark::State& state) {
  const auto x = values(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    weft::par::exact_sum s;
    s.add(std::span<const double>(x));
    benchmark::DoNotOptimize(s.value());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void exact_deviations(benchmark::State& state) {
  const auto x = values(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    weft::par::exact_sum s;
    s.add_squared_deviations(std::span<const double>(x), 10.0);
    benchmark::DoNotOptimize(s.value());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// 2 Ki doubles (16 KiB: L1), 32 Ki (256 KiB: L2), 32 Mi (256 MiB: memory).
constexpr long small = 2048;
constexpr long middle = 32768;
constexpr long large = 32L << 20;

}  // namespace

BENCHMARK(plain)->Arg(small)->Arg(middle)->Arg(large);
BENCHMARK(kahan)->Arg(small)->Arg(middle)->Arg(large);
BENCHMARK(exact)->Arg(small)->Arg(middle)->Arg(large);
BENCHMARK(exact_deviations)->Arg(small)->Arg(middle)->Arg(large);
BENCHMARK_MAIN();
