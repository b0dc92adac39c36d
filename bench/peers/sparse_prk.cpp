// Peer for weft's spmv: the Parallel Research Kernels' MPI+OpenMP Sparse, written here from
// PRK's definitions (its source is not copied), compiled with weft's flags.
//
// The matrix couples the unknowns of a 2^scale x 2^scale periodic grid to their neighbours
// in a star of radius R (4R + 1 entries per row, columns sorted, optionally bit-reversed:
// "scramble"), A(r, c) = 1 / (c + 1), in CSR with 64-bit column indices as PRK stores it.
// Rows are split over the ranks in equal blocks; the vector is replicated on every rank,
// as in PRK, so an iteration needs no communication: every rank adds c + 1 to each
// element of its whole vector, then result += A * vector over its rows. Iteration 0 is
// untimed; the time is the slowest rank's; the rate is 2 * nnz flops per iteration.
// Prints "rate_GFlops <value>" on rank 0 and fails unless the sum of the result equals
// PRK's closed form nnz (iterations+1)(iterations+2)/2.
//   mpirun -n R sparse_prk SCALE RADIUS ITERATIONS [scramble]
#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

std::int64_t reverse_bits(std::int64_t v, int bits) {
  std::int64_t r = 0;
  for (int b = 0; b < bits; ++b) r |= ((v >> b) & 1) << (bits - 1 - b);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int me = 0, p = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  MPI_Comm_size(MPI_COMM_WORLD, &p);
  const int scale = argc > 1 ? std::atoi(argv[1]) : 10;
  const int radius = argc > 2 ? std::atoi(argv[2]) : 2;
  const int iterations = argc > 3 ? std::atoi(argv[3]) : 10;
  const bool scramble = argc > 4 && std::strcmp(argv[4], "scramble") == 0;
  const std::int64_t size = std::int64_t{1} << scale;
  const std::int64_t order = size * size;
  const int stencil = 4 * radius + 1;
  if (order % p != 0 || size < 2 * radius + 1 || iterations < 1) {
    if (me == 0) std::fprintf(stderr, "sparse_prk: the rows must split evenly over the ranks\n");
    MPI_Finalize();
    return 1;
  }
  const std::int64_t rows = order / p;
  const std::int64_t first = me * rows;
  std::vector<std::int64_t> col(static_cast<std::size_t>(rows * stencil));
  std::vector<double> val(col.size()), vec(static_cast<std::size_t>(order)),
      result(static_cast<std::size_t>(rows));
  std::int64_t* pc = col.data();
  double* pv = val.data();
  double* px = vec.data();
  double* py = result.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t l = 0; l < rows; ++l) {
    const std::int64_t row = first + l;
    const std::int64_t i = row % size;
    const std::int64_t j = row / size;
    auto at = [&](std::int64_t ii, std::int64_t jj) {
      const std::int64_t v = ii + jj * size;
      return scramble ? reverse_bits(v, 2 * scale) : v;
    };
    std::int64_t* c = pc + l * stencil;
    int e = 0;
    c[e++] = at(i, j);
    for (int r = 1; r <= radius; ++r) {
      c[e++] = at((i + r) % size, j);
      c[e++] = at((i - r + size) % size, j);
      c[e++] = at(i, (j + r) % size);
      c[e++] = at(i, (j - r + size) % size);
    }
    std::sort(c, c + stencil);
    for (e = 0; e < stencil; ++e) pv[l * stencil + e] = 1.0 / static_cast<double>(c[e] + 1);
    py[l] = 0.0;
  }
#pragma omp parallel for schedule(static)
  for (std::int64_t k = 0; k < order; ++k) px[k] = 0.0;

  double start = 0;
  for (int iter = 0; iter <= iterations; ++iter) {
    if (iter == 1) {
      MPI_Barrier(MPI_COMM_WORLD);
      start = MPI_Wtime();
    }
#pragma omp parallel for schedule(static)
    for (std::int64_t k = 0; k < order; ++k) px[k] += static_cast<double>(k + 1);
#pragma omp parallel for schedule(static)
    for (std::int64_t l = 0; l < rows; ++l) {
      double sum = 0.0;
      for (std::int64_t e = l * stencil; e < (l + 1) * stencil; ++e) sum += pv[e] * px[pc[e]];
      py[l] += sum;
    }
  }
  double elapsed = MPI_Wtime() - start, slowest = 0;
  MPI_Reduce(&elapsed, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  double sum = 0, total = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
  for (std::int64_t l = 0; l < rows; ++l) sum += py[l];
  MPI_Reduce(&sum, &total, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  int rc = 0;
  if (me == 0) {
    const double nnz = static_cast<double>(order) * stencil;
    const double expected = nnz * (iterations + 1.0) * (iterations + 2.0) / 2.0;
    if (std::abs(total - expected) > 1e-8 * expected) {
      std::fprintf(stderr, "sparse_prk: validation failed (%.17g, want %.17g)\n", total, expected);
      rc = 1;
    }
    std::printf("rate_GFlops %.6f\n", 2.0 * nnz * iterations / slowest / 1e9);
  }
  MPI_Finalize();
  return rc;
}
