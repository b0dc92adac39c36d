// Peer for weft's transpose: the Parallel Research Kernels' MPI+OpenMP transpose, written
// here from PRK's definitions (its source is not copied), compiled with weft's flags.
//
// A and B of order n are split over the ranks in blocks of columns, stored column-major
// with 64-byte alignment as PRK allocates them. A(i,j) = n*j + i, B = 0. An iteration
// transposes the diagonal block locally, then for phase 1..p-1 transposes the block for
// rank (me + phase) into a buffer (tiled by --tile, PRK's 32), exchanges it with
// MPI_Isend/MPI_Irecv against the block from rank (me - phase), and adds what came in to
// B; then A += 1 in its own sweep, as PRK does. Iteration 0 is untimed; the time is the
// slowest rank's; the rate is PRK's 2 * 8 * n^2 bytes per iteration. Prints
// "bandwidth_GBs <value>" on rank 0 and fails unless every element of B matches
// (iterations+1)(n*i + j) + iterations(iterations+1)/2.
//   mpirun -n R transpose_prk ORDER ITERATIONS [TILE]
#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "aligned.hpp"

namespace {

using peers::allocate;
using peers::buffer;

// out(jr, il) = a(row0 + jr, il) for the `rows` x `cols` block, out column-major with
// leading dimension `cols` (the receiver's columns become rows), tiled t x t.
void transpose_block(const double* a, long long n, long long cols, long long row0, long long rows,
                     long long t, double* out) {
#pragma omp parallel for collapse(2) schedule(static)
  for (long long jt = 0; jt < rows; jt += t) {
    for (long long it = 0; it < cols; it += t) {
      for (long long jr = jt; jr < std::min(jt + t, rows); ++jr) {
        for (long long il = it; il < std::min(it + t, cols); ++il) {
          out[jr * cols + il] = a[il * n + row0 + jr];
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int me = 0, p = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  MPI_Comm_size(MPI_COMM_WORLD, &p);
  const long long n = argc > 1 ? std::atoll(argv[1]) : 2048;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 10;
  const long long tile = argc > 3 ? std::atoll(argv[3]) : 32;
  if (n % p != 0 || n <= 0 || iterations < 1 || tile < 1) {
    if (me == 0) std::fprintf(stderr, "transpose_prk: ORDER must be a multiple of the ranks\n");
    MPI_Finalize();
    return 1;
  }
  const long long w = n / p;  // columns per rank, as PRK requires equal blocks
  const long long c0 = me * w;
  buffer a = allocate(n * w), b = allocate(n * w), out = allocate(w * w), in = allocate(w * w);
#pragma omp parallel for schedule(static)
  for (long long j = 0; j < w; ++j) {
    for (long long i = 0; i < n; ++i) {
      a[j * n + i] = static_cast<double>(n * (c0 + j) + i);
      b[j * n + i] = 0.0;
    }
  }
  double start = 0;
  for (int iter = 0; iter <= iterations; ++iter) {
    if (iter == 1) {
      MPI_Barrier(MPI_COMM_WORLD);
      start = MPI_Wtime();
    }
    // The diagonal block: B(c0 + i, c0 + j) += A(c0 + j, c0 + i), tiled.
#pragma omp parallel for collapse(2) schedule(static)
    for (long long jt = 0; jt < w; jt += tile) {
      for (long long it = 0; it < w; it += tile) {
        for (long long j = jt; j < std::min(jt + tile, w); ++j) {
          for (long long i = it; i < std::min(it + tile, w); ++i) {
            b[j * n + c0 + i] += a[i * n + c0 + j];
          }
        }
      }
    }
    for (int phase = 1; phase < p; ++phase) {
      const int to = (me + phase) % p;
      const int from = (me - phase + p) % p;
      MPI_Request r[2];
      MPI_Irecv(in.get(), static_cast<int>(w * w), MPI_DOUBLE, from, phase, MPI_COMM_WORLD, &r[0]);
      transpose_block(a.get(), n, w, to * w, w, tile, out.get());
      MPI_Isend(out.get(), static_cast<int>(w * w), MPI_DOUBLE, to, phase, MPI_COMM_WORLD, &r[1]);
      MPI_Waitall(2, r, MPI_STATUSES_IGNORE);
      const long long r0 = from * w;
#pragma omp parallel for schedule(static)
      for (long long j = 0; j < w; ++j) {
        for (long long i = 0; i < w; ++i) b[j * n + r0 + i] += in[j * w + i];
      }
    }
#pragma omp parallel for schedule(static)
    for (long long k = 0; k < n * w; ++k) a[k] += 1.0;
  }
  double elapsed = MPI_Wtime() - start, slowest = 0;
  MPI_Reduce(&elapsed, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  const double passes = iterations + 1.0;
  const double added = 0.5 * iterations * passes;
  double error = 0, total = 0;
#pragma omp parallel for reduction(+ : error) schedule(static)
  for (long long j = 0; j < w; ++j) {
    for (long long i = 0; i < n; ++i) {
      error += std::abs(b[j * n + i] - (passes * static_cast<double>(n * i + c0 + j) + added));
    }
  }
  MPI_Reduce(&error, &total, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  int rc = 0;
  if (me == 0) {
    if (total > 1e-8) {
      std::fprintf(stderr, "transpose_prk: validation failed (error %g)\n", total);
      rc = 1;
    }
    std::printf("bandwidth_GBs %.6f\n", 2.0 * 8.0 * static_cast<double>(n) *
                                            static_cast<double>(n) * iterations / slowest / 1e9);
  }
  MPI_Finalize();
  return rc;
}
