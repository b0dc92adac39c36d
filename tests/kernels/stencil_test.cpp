#include <gtest/gtest.h>

#include <string>

#include "kernel_support.hpp"

namespace {

using weft::testing::run_kernel;

std::string column_grid() {
  return "1x" + std::to_string(weft::testing::world().size());
}
std::string row_grid() {
  return std::to_string(weft::testing::world().size()) + "x1";
}

TEST(stencil, validates_against_the_closed_form_norm_for_every_radius) {
  for (int radius = 1; radius <= 9; ++radius) {
    const auto rec = run_kernel("stencil", {{"n", 64}, {"radius", radius}, {"iterations", 2}});
    EXPECT_TRUE(rec.check.passed) << "radius " << radius << ": " << rec.check.detail;
    // 2 * (iterations + 1) = 6.
    EXPECT_NE(rec.check.detail.find("expected 6"), std::string::npos) << rec.check.detail;
  }
}

TEST(stencil, validates_on_row_and_column_rank_grids_with_and_without_overlap) {
  for (const auto& grid : {column_grid(), row_grid(), std::string("auto")}) {
    for (const bool overlap : {false, true}) {
      const auto rec = run_kernel(
          "stencil",
          {{"n", 50}, {"radius", 3}, {"iterations", 3}, {"grid", grid}, {"overlap", overlap}});
      EXPECT_TRUE(rec.check.passed) << grid << (overlap ? " overlap: " : ": ") << rec.check.detail;
      if (grid != "auto") {
        EXPECT_EQ(rec.extra["rank_grid"].get<std::string>(), grid);
      }
      const auto* rate = rec.find_metric("rate");
      ASSERT_NE(rate, nullptr);
      EXPECT_GT(rate->value, 0);
      EXPECT_EQ(rate->unit, "MFlop/s");
    }
  }
}

TEST(stencil, overlap_and_plain_modes_compute_the_same_norm) {
  const auto plain = run_kernel("stencil", {{"n", 40}, {"radius", 2}, {"iterations", 4}});
  const auto overlapped =
      run_kernel("stencil", {{"n", 40}, {"radius", 2}, {"iterations", 4}, {"overlap", true}});
  EXPECT_EQ(plain.check.detail, overlapped.check.detail);
}

TEST(stencil, refuses_a_grid_without_interior_and_a_grid_of_the_wrong_size_on_every_rank) {
  EXPECT_THROW(run_kernel("stencil", {{"n", 4}, {"radius", 2}}), weft::usage_error);
  EXPECT_THROW(run_kernel("stencil", {{"n", 40}, {"grid", "3x3"}}), weft::usage_error);
  EXPECT_THROW(run_kernel("stencil", {{"n", 40}, {"grid", "two"}}), weft::usage_error);
}

}  // namespace
