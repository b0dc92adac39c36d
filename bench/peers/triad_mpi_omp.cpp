// Peer for weft's nstream: PRK's nstream triad A += B + 3 C written directly against MPI
// and OpenMP, no weft code, compiled with the same flags, the arrays 64-byte aligned as
// PRK allocates them. Prints "bandwidth_GBs <value>" (PRK's 32 B per element) on rank 0.
//   mpirun -n R triad_mpi_omp LENGTH ITERATIONS
#include <mpi.h>
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "aligned.hpp"

using peers::allocate;

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const long long length = argc > 1 ? std::atoll(argv[1]) : 33554432LL;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 20;
  const long long local = length / size + (rank < length % size ? 1 : 0);
  const double scalar = 3.0;
  auto a = allocate(local), b = allocate(local), c = allocate(local);
  double* pa = a.get();
  double* pb = b.get();
  double* pc = c.get();
#pragma omp parallel for simd schedule(static)
  for (long long i = 0; i < local; ++i) {
    pa[i] = 0.0;
    pb[i] = 2.0;
    pc[i] = 2.0;
  }
  double start = 0;
  for (int iter = 0; iter <= iterations; ++iter) {
    if (iter == 1) {
      MPI_Barrier(MPI_COMM_WORLD);
      start = MPI_Wtime();
    }
#pragma omp parallel for simd schedule(static)
    for (long long i = 0; i < local; ++i) pa[i] += pb[i] + scalar * pc[i];
  }
  double elapsed = MPI_Wtime() - start, slowest = 0;
  MPI_Reduce(&elapsed, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  double sum = 0, total = 0;
#pragma omp parallel for reduction(+ : sum)
  for (long long i = 0; i < local; ++i) sum += pa[i];
  MPI_Reduce(&sum, &total, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  int rc = 0;
  if (rank == 0) {
    const double expected = (2.0 + 2.0 * scalar) * (iterations + 1) * static_cast<double>(length);
    if (std::abs(total - expected) > 1e-8 * expected) {
      std::fprintf(stderr, "triad_mpi_omp: validation failed\n");
      rc = 1;
    }
    std::printf("bandwidth_GBs %.6f\n",
                32.0 * static_cast<double>(length) * iterations / slowest / 1e9);
  }
  MPI_Finalize();
  return rc;
}
