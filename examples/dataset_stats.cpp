// dataset_stats: a user's own program on weft — count, mean, standard deviation, minimum
// and maximum of any numeric HDF5 dataset (h5py, netCDF-4, MATLAB v7.3 ...), read
// collectively slab by slab, so the dataset may be far larger than memory.
//
//   mpirun -n 4 ./dataset_stats data.h5:/temperature
//
// A bad argument or a file that is not what it should be ends every rank with one line
// and exit code 2 or 3 (weft's input checks run before any rank opens the file).
#include <weft/weft.hpp>

#include <cmath>
#include <cstdio>
#include <limits>

int main(int argc, char** argv) {
  weft::set_program("dataset_stats", "1.0.0");
  weft::environment env(argc, argv);
  return weft::environment::run([&]() -> int {
    const auto world = weft::environment::world();
    if (argc != 2) throw weft::usage_error("usage: dataset_stats FILE:/path", true);
    const auto in = weft::io::open_input(world, weft::io::parse_dataset_ref(argv[1], "FILE:/path"));

    // Two passes (mean, then squared deviations): stable where one-pass formulas cancel.
    weft::aligned_vector<double> slab;
    double sum = 0, lo = std::numeric_limits<double>::infinity(), hi = -lo;
    {
      weft::io::slab_reader reader(world, in.d, in.info.shape, 16, sizeof(double));
      while (reader.next(slab)) {
        for (const double x : slab) {
          sum += x;
          lo = std::min(lo, x);
          hi = std::max(hi, x);
        }
      }
    }
    const auto count = static_cast<double>(in.info.size());
    const double mean = world.allreduce(sum, weft::op::sum) / count;
    double squares = 0;
    {
      weft::io::slab_reader reader(world, in.d, in.info.shape, 16, sizeof(double));
      while (reader.next(slab)) {
        for (const double x : slab) squares += (x - mean) * (x - mean);
      }
    }
    const double variance = world.allreduce(squares, weft::op::sum) / count;
    lo = world.allreduce(lo, weft::op::min);
    hi = world.allreduce(hi, weft::op::max);
    if (world.rank() == 0) {
      std::printf("%s: %s %s, count %.0f, mean %.17g, std %.17g, min %.17g, max %.17g\n", argv[1],
                  in.info.shape_text().c_str(), in.info.type_text.c_str(), count, mean,
                  std::sqrt(variance), lo, hi);
    }
    return 0;
  });
}
