// Micro-benchmark (Google Benchmark) of weft's counter-based generator: one Philox block
// per call of counter_rng::draw, against counter_rng::draw_blocks in its portable, AVX2 and
// AVX-512 forms, counter_rng::draw_uniforms (the same blocks as two doubles each) in each,
// and std::mt19937_64 as the familiar sequential reference. Items are 128-bit blocks (two
// uniforms each); compare the items/s of the rows of one run.
//   BUILD/bench/bench_micro_rng [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "weft/par/rng.hpp"

namespace {

constexpr std::size_t batch = 4096;

struct words {
  std::array<std::vector<std::uint32_t>, 4> w;
  words() {
    for (auto& v : w) v.assign(batch, 0);
  }
  [[nodiscard]] std::array<std::uint32_t*, 4> ptrs() {
    return {w[0].data(), w[1].data(), w[2].data(), w[3].data()};
  }
};

void draw_one_at_a_time(benchmark::State& state) {
  words out;
  std::uint64_t first = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) {
      const auto b = weft::par::counter_rng::draw(42, first + i);
      for (std::size_t k = 0; k < 4; ++k) out.w[k][i] = b[k];
    }
    first += batch;
    benchmark::DoNotOptimize(out.w[0].data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

template <void (*Draw)(std::uint64_t, std::uint64_t, std::size_t, std::uint64_t,
                       const std::array<std::uint32_t*, 4>&) noexcept>
void draw_blocks(benchmark::State& state) {
  words out;
  std::uint64_t first = 0;
  for (auto _ : state) {
    Draw(42, first, batch, 0, out.ptrs());
    first += batch;
    benchmark::DoNotOptimize(out.w[0].data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

// The two uniforms of each block, as doubles (counter_rng::draw_uniforms).
template <void (*Draw)(std::uint64_t, std::uint64_t, std::size_t, std::uint64_t,
                       const std::array<double*, 2>&) noexcept>
void draw_uniforms(benchmark::State& state) {
  std::array<std::vector<double>, 2> u;
  for (auto& v : u) v.assign(batch, 0.0);
  std::uint64_t first = 0;
  for (auto _ : state) {
    Draw(42, first, batch, 0, {u[0].data(), u[1].data()});
    first += batch;
    benchmark::DoNotOptimize(u[0].data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

// Runs Run only where the CPU has the instruction set Available() tests for.
template <bool (*Available)() noexcept, void (*Run)(benchmark::State&)>
void if_cpu_has(benchmark::State& state) {
  if (!Available()) {
    state.SkipWithError("this CPU lacks the instruction set");
    return;
  }
  Run(state);
}

void mt19937_64(benchmark::State& state) {
  std::mt19937_64 g(42);
  std::vector<std::uint64_t> out(2 * batch);
  for (auto _ : state) {
    for (auto& x : out) x = g();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

}  // namespace

BENCHMARK(draw_one_at_a_time)->Name("philox/draw one index at a time");
BENCHMARK(draw_blocks<weft::par::detail::draw_blocks_portable>)
    ->Name("philox/draw_blocks portable");
BENCHMARK(
    if_cpu_has<weft::par::detail::avx2_available, draw_blocks<weft::par::detail::draw_blocks_avx2>>)
    ->Name("philox/draw_blocks avx2");
BENCHMARK(if_cpu_has<weft::par::detail::avx512_available,
                     draw_blocks<weft::par::detail::draw_blocks_avx512>>)
    ->Name("philox/draw_blocks avx512");
BENCHMARK(draw_uniforms<weft::par::detail::draw_uniforms_portable>)
    ->Name("philox/draw_uniforms portable");
BENCHMARK(if_cpu_has<weft::par::detail::avx2_available,
                     draw_uniforms<weft::par::detail::draw_uniforms_avx2>>)
    ->Name("philox/draw_uniforms avx2");
BENCHMARK(if_cpu_has<weft::par::detail::avx512_available,
                     draw_uniforms<weft::par::detail::draw_uniforms_avx512>>)
    ->Name("philox/draw_uniforms avx512");
BENCHMARK(mt19937_64)->Name("std::mt19937_64 (128 bits per item)");

BENCHMARK_MAIN();
