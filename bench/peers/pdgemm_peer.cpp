// ScaLAPACK's pdgemm as the peer of weft's dgemm kernel: the same order n, block size,
// rank grid and BLAS (OpenBLAS, with omp_get_max_threads() threads per rank).
//
//   mpirun -n P pdgemm_peer N BLOCK ROWS COLS ITERATIONS
//
// Prints "pdgemm <GFlop/s> <seconds per multiply>" (2 n^3 / slowest rank's mean time over
// the timed multiplies; one untimed warm-up first) on rank 0.
#include <cblas.h>
#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

extern "C" {
void Cblacs_pinfo(int* me, int* procs);
void Cblacs_get(int context, int what, int* value);
void Cblacs_gridinit(int* context, const char* order, int rows, int cols);
void Cblacs_gridinfo(int context, int* rows, int* cols, int* row, int* col);
void Cblacs_gridexit(int context);
int numroc_(const int* n, const int* nb, const int* iproc, const int* isrcproc, const int* nprocs);
void descinit_(int* desc, const int* m, const int* n, const int* mb, const int* nb,
               const int* irsrc, const int* icsrc, const int* ictxt, const int* lld, int* info);
void pdgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
             const double* alpha, const double* a, const int* ia, const int* ja, const int* desca,
             const double* b, const int* ib, const int* jb, const int* descb, const double* beta,
             double* c, const int* ic, const int* jc, const int* descc);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  if (argc != 6) {
    std::fprintf(stderr, "usage: pdgemm_peer N BLOCK ROWS COLS ITERATIONS\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const int n = std::atoi(argv[1]);
  const int nb = std::atoi(argv[2]);
  const int rows = std::atoi(argv[3]);
  const int cols = std::atoi(argv[4]);
  const int iterations = std::atoi(argv[5]);
  openblas_set_num_threads(omp_get_max_threads());

  int me = 0, procs = 0, context = 0;
  Cblacs_pinfo(&me, &procs);
  Cblacs_get(-1, 0, &context);
  Cblacs_gridinit(&context, "Row", rows, cols);
  int r = 0, c = 0, my_row = 0, my_col = 0;
  Cblacs_gridinfo(context, &r, &c, &my_row, &my_col);

  const int zero = 0, one = 1;
  const int local_rows = numroc_(&n, &nb, &my_row, &zero, &rows);
  const int local_cols = numroc_(&n, &nb, &my_col, &zero, &cols);
  const int lld = std::max(1, local_rows);
  int desc[9], info = 0;
  descinit_(desc, &n, &n, &nb, &nb, &zero, &zero, &context, &lld, &info);
  const auto size = static_cast<std::size_t>(lld) * static_cast<std::size_t>(local_cols);
  std::vector<double> a(size), b(size), cm(size, 0.0);
  // A(i,j) = B(i,j) = j as in the kernel; local column lj is global column
  // (lj / nb * cols + my_col) * nb + lj % nb (block-cyclic, column-major storage).
  for (int lj = 0; lj < local_cols; ++lj) {
    const double j = static_cast<double>((lj / nb * cols + my_col) * nb + lj % nb);
    for (int li = 0; li < local_rows; ++li) {
      a[static_cast<std::size_t>(lj) * lld + li] = j;
      b[static_cast<std::size_t>(lj) * lld + li] = j;
    }
  }
  const double alpha = 1.0, beta = 0.0;
  double total = 0;
  for (int it = 0; it <= iterations; ++it) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    pdgemm_("N", "N", &n, &n, &n, &alpha, a.data(), &one, &one, desc, b.data(), &one, &one, desc,
            &beta, cm.data(), &one, &one, desc);
    double dt = MPI_Wtime() - t0;
    MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (it > 0) total += dt;
  }
  // Spot check: C(i,j) = j n(n-1)/2.
  double worst = 0;
  for (int lj = 0; lj < local_cols; ++lj) {
    const double j = static_cast<double>((lj / nb * cols + my_col) * nb + lj % nb);
    for (int li = 0; li < local_rows; ++li) {
      const double want = j * 0.5 * n * (n - 1.0);
      worst = std::max(worst, std::abs(cm[static_cast<std::size_t>(lj) * lld + li] - want) /
                                  std::max(1.0, want));
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  const double per = total / iterations;
  if (me == 0) {
    std::printf("pdgemm %.6g %.6g\n", 2.0 * n * static_cast<double>(n) * n / per / 1e9, per);
    if (worst > 1e-8) std::printf("pdgemm validation FAILED: worst relative error %g\n", worst);
  }
  Cblacs_gridexit(context);
  MPI_Finalize();
  return worst > 1e-8 ? 1 : 0;
}
