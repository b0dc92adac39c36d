// Peer for weft's pingpong: a plain MPI ping-pong between ranks 0 and 1, no weft code.
// Prints "size_B latency_us bandwidth_GBs" per size, same sizes and round-trip counts
// as weft's defaults (0 and powers of two up to MAX; rounds capped at 1 GiB per size).
//   mpirun -n 2 pingpong_mpi MAX_SIZE ITERATIONS
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const long long max_size = argc > 1 ? std::atoll(argv[1]) : 16777216LL;
  const long long iterations = argc > 2 ? std::atoll(argv[2]) : 1000;
  const long long budget = 1LL << 30;
  std::vector<char> buf(static_cast<std::size_t>(std::max(1LL, max_size)), 1);
  std::vector<long long> sizes{0};
  for (long long s = 1; s <= max_size; s *= 2) sizes.push_back(s);
  for (long long size : sizes) {
    const long long iters =
        std::max(2LL, std::min(iterations, size > 0 ? budget / (2 * size) : iterations));
    double start = 0;
    for (long long it = -1; it < iters; ++it) {
      if (it == 0) start = MPI_Wtime();
      if (rank == 0) {
        MPI_Send(buf.data(), static_cast<int>(size), MPI_BYTE, 1, 1, MPI_COMM_WORLD);
        MPI_Recv(buf.data(), static_cast<int>(size), MPI_BYTE, 1, 2, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
      } else if (rank == 1) {
        MPI_Recv(buf.data(), static_cast<int>(size), MPI_BYTE, 0, 1, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        MPI_Send(buf.data(), static_cast<int>(size), MPI_BYTE, 0, 2, MPI_COMM_WORLD);
      }
    }
    const double one_way = (MPI_Wtime() - start) / (2.0 * static_cast<double>(iters));
    if (rank == 0) {
      std::printf("%lld %.6f %.6f\n", size, one_way * 1e6,
                  one_way > 0 ? static_cast<double>(size) / one_way / 1e9 : 0.0);
    }
  }
  MPI_Finalize();
  return 0;
}
