// An MPI_Allreduce sweep for the cross-node benchmark (bench/cluster_nodes.py): the sum of
// N doubles over every rank, for N = 1, 8, 64, ... up to MAX, the best of ROUNDS timed
// batches per size. Prints "bytes microseconds" per size on rank 0. Checks the sum.
//   mpirun -n P allreduce_mpi MAX_DOUBLES ROUNDS
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const long long max_count = argc > 1 ? std::atoll(argv[1]) : 1 << 19;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  std::vector<double> in(static_cast<std::size_t>(max_count), rank + 1.0), out(in.size());
  int status = 0;
  for (long long n = 1; n <= max_count; n *= 8) {
    // About 64 MiB reduced per batch, at least 10 and at most 10000 calls.
    const long long calls = std::clamp((64LL << 20) / (8 * n), 10LL, 10000LL);
    double best = 1e30;
    for (int r = 0; r < rounds; ++r) {
      MPI_Barrier(MPI_COMM_WORLD);
      const double start = MPI_Wtime();
      for (long long c = 0; c < calls; ++c) {
        MPI_Allreduce(in.data(), out.data(), static_cast<int>(n), MPI_DOUBLE, MPI_SUM,
                      MPI_COMM_WORLD);
      }
      double t = (MPI_Wtime() - start) / static_cast<double>(calls);
      MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      best = std::min(best, t);
    }
    const double want = size * (size + 1) / 2.0;
    if (out[0] != want || out[static_cast<std::size_t>(n - 1)] != want) status = 1;
    if (rank == 0) std::printf("%lld %.3f\n", n * 8, best * 1e6);
  }
  if (rank == 0 && status) std::fprintf(stderr, "allreduce_mpi: wrong sum\n");
  MPI_Finalize();
  return status;
}
