// One OpenBLAS dgemm call in one process using every thread it is given: the
// single-process reference for weft's dgemm kernel on the same cores.
//
//   OMP_NUM_THREADS=T dgemm_blas_peer N ITERATIONS
//
// Prints "openblas <GFlop/s> <seconds per multiply>" (2 n^3 / mean time of the timed
// calls, after one untimed warm-up).
#include <cblas.h>
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: dgemm_blas_peer N ITERATIONS\n");
    return 2;
  }
  const int n = std::atoi(argv[1]);
  const int iterations = std::atoi(argv[2]);
  openblas_set_num_threads(omp_get_max_threads());
  const auto size = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  std::vector<double> a(size), b(size), c(size, 0.0);
  for (std::size_t k = 0; k < size; ++k) a[k] = b[k] = static_cast<double>(k % n);
  double total = 0;
  for (int it = 0; it <= iterations; ++it) {
    const auto t0 = std::chrono::steady_clock::now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a.data(), n, b.data(), n,
                0.0, c.data(), n);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (it > 0) total += dt;
  }
  const double want = (n - 1.0) * 0.5 * n * (n - 1.0);  // C(i, n-1)
  if (std::abs(c[size - 1] - want) > 1e-8 * want) {
    std::printf("openblas validation FAILED\n");
    return 1;
  }
  const double per = total / iterations;
  std::printf("openblas %.6g %.6g\n", 2.0 * n * static_cast<double>(n) * n / per / 1e9, per);
  return 0;
}
