#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <string>
#include <vector>

#include "dense_test_support.hpp"
#include "kernel_support.hpp"
#include "weft/core/error.hpp"
#include "weft/par/rng.hpp"

namespace {

using weft::testing::run_kernel;
using weft::testing::world;

std::string grid(int rows, int cols) {
  return std::to_string(rows) + "x" + std::to_string(cols);
}

TEST(dgemm, generated_matrices_validate_on_the_default_grid) {
  const auto rec = run_kernel("dgemm", {{"order", 67}, {"block", 8}, {"iterations", 1}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  const auto* rate = rec.find_metric("rate");
  ASSERT_NE(rate, nullptr);
  EXPECT_GT(rate->value, 0);
  EXPECT_EQ(rate->unit, "GFlop/s");
}

TEST(dgemm, one_row_and_one_column_grids_validate_with_an_order_the_grid_does_not_divide) {
  const int p = world().size();
  for (const auto& g : {grid(1, p), grid(p, 1)}) {
    const auto rec =
        run_kernel("dgemm", {{"order", 37}, {"block", 5}, {"iterations", 2}, {"grid", g}});
    EXPECT_TRUE(rec.check.passed) << g << ": " << rec.check.detail;
    EXPECT_EQ(rec.extra["grid"], g);
  }
}

TEST(dgemm, a_panel_wider_than_the_matrix_still_validates) {
  const auto rec = run_kernel("dgemm", {{"order", 19}, {"block", 1000}, {"iterations", 1}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
}

TEST(dgemm, more_ranks_than_rows_leaves_empty_blocks_and_still_validates) {
  const int p = world().size();
  const auto rec =
      run_kernel("dgemm", {{"order", 2}, {"block", 1}, {"iterations", 1}, {"grid", grid(p, 1)}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
}

TEST(dgemm, blas_runs_with_the_ranks_openmp_thread_count) {
  const auto rec = run_kernel("dgemm", {{"order", 16}, {"iterations", 1}});
  EXPECT_EQ(rec.extra["blas_threads"].get<int>(), omp_get_max_threads());
}

TEST(dgemm, a_grid_that_does_not_hold_every_rank_is_a_usage_error_on_every_rank) {
  const int p = world().size();
  EXPECT_THROW((void)run_kernel("dgemm", {{"order", 16}, {"grid", grid(p + 1, 1)}}),
               weft::usage_error);
  EXPECT_THROW((void)run_kernel("dgemm", {{"order", 16}, {"grid", "banana"}}), weft::usage_error);
}

TEST(dgemm, random_matrices_read_from_hdf5_give_the_serial_product_in_the_output_file) {
  const weft::testing::shared_scratch dir("weft-dgemm");
  const std::size_t n = 29;
  std::vector<double> a(n * n), b(n * n);
  for (std::size_t k = 0; k < n * n; ++k) {
    a[k] = weft::par::counter_rng::uniform(11, k) - 0.5;
    b[k] = weft::par::counter_rng::normal(12, k);
  }
  const auto in = dir / "ab.h5";
  const auto out = dir / "c.h5";
  if (world().rank() == 0) {
    weft::testing::write_serial(in,
                                {{"/A", {n, n}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, a.data()},
                                 {"/m/B", {n, n}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, b.data()}});
  }
  world().barrier();

  const auto rec = run_kernel("dgemm", {{"a", in + ":/A"},
                                        {"b", in + ":/m/B"},
                                        {"c", out + ":/result/C"},
                                        {"block", 4},
                                        {"iterations", 1}});

  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  EXPECT_EQ(rec.extra["order"].get<long long>(), static_cast<long long>(n));
  if (world().rank() == 0) {
    const auto c = weft::testing::read_serial<double>(out, "/result/C", H5T_NATIVE_DOUBLE);
    ASSERT_EQ(c.size(), n * n);
    double worst = 0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        double want = 0;
        for (std::size_t k = 0; k < n; ++k) want += a[i * n + k] * b[k * n + j];
        worst = std::max(worst, std::abs(c[i * n + j] - want));
      }
    }
    EXPECT_LT(worst, 1e-12);
  }
}

TEST(dgemm, operands_of_different_orders_are_bad_input_on_every_rank) {
  const weft::testing::shared_scratch dir("weft-dgemm-shape");
  const auto in = dir / "ab.h5";
  const std::vector<double> a(9, 1.0), b(16, 1.0);
  if (world().rank() == 0) {
    weft::testing::write_serial(in, {{"/A", {3, 3}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, a.data()},
                                     {"/B", {4, 4}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, b.data()}});
  }
  world().barrier();
  EXPECT_THROW((void)run_kernel("dgemm", {{"a", in + ":/A"}, {"b", in + ":/B"}}),
               weft::input_error);
}

}  // namespace
