// Micro-benchmark (Google Benchmark) of the metadata probe: io::check_input of a small
// HDF5 dataset with the probe (a fork of this MPI process, the checks in the child) and
// without it (WEFT_PROBE=off), in one run. The file is written first into
// $WEFT_BENCH_DIR (default: the current folder). The difference of the two rows is the
// probe's cost per input opened (docs/datasets.md#the-metadata-probe).
//   BUILD/bench/bench_micro_probe [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "weft/base/isolated.hpp"
#include "weft/core/environment.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"

namespace {

std::string file_name() {
  const char* d = std::getenv("WEFT_BENCH_DIR");
  const std::filesystem::path dir = d != nullptr && *d != '\0' ? d : ".";
  return (dir / "bench-probe.h5").string();
}

void check_input(benchmark::State& state) {
  weft::io::set_probe(state.range(0) != 0);
  const weft::io::dataset_ref ref{file_name(), "/values"};
  for (auto _ : state) benchmark::DoNotOptimize(weft::io::check_input(ref));
}

// The fork, pipe and wait alone: a child that does nothing.
void isolated_nothing(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(weft::run_isolated([] { return std::string(); }));
}

void isolated_open(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(weft::run_isolated([] {
      const auto f = weft::io::open_file_serial(file_name());
      return std::string();
    }));
  }
}

}  // namespace

BENCHMARK(isolated_open)->Unit(benchmark::kMillisecond);
BENCHMARK(isolated_nothing)->Unit(benchmark::kMillisecond);
BENCHMARK(check_input)->ArgName("probe")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  const weft::environment env(argc, argv);
  const auto world = weft::environment::world();
  {
    std::vector<double> v(1000, 1.5);
    weft::io::output_file out(world, file_name(), true);
    auto d = out.create_dataset("/values", weft::io::element_type::f64, {1000});
    d.write_attribute("units", std::string("K"));
    (void)weft::io::write_replicated(world, d, std::span<const double>(v));
    d = {};
    out.commit();
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::filesystem::remove(file_name());
  return 0;
}
