#include <gtest/gtest.h>

#include "kernel_support.hpp"

namespace {

TEST(pingpong, covers_zero_and_powers_of_two_up_to_max_size_and_validates) {
  const auto rec = weft::testing::run_kernel(
      "pingpong", {{"min-size", 0}, {"max-size", 1 << 20}, {"iterations", 20}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  ASSERT_EQ(rec.tables.size(), 1u);
  const auto& rows = rec.tables[0].rows;
  ASSERT_EQ(rows.size(), 22u);  // 0, 1, 2, ..., 2^20
  EXPECT_EQ(rows.front()[0], 0.0);
  EXPECT_EQ(rows.back()[0], static_cast<double>(1 << 20));
  for (const auto& row : rows) {
    EXPECT_GT(row[2], 0.0) << "latency at " << row[0] << " B";
  }
  const auto* lat = rec.find_metric("latency_8B");
  ASSERT_NE(lat, nullptr);
  EXPECT_FALSE(lat->higher_is_better);
}

TEST(pingpong, min_size_above_max_size_is_a_usage_error_on_every_rank) {
  try {
    weft::testing::run_kernel("pingpong", {{"min-size", 64}, {"max-size", 8}});
    FAIL() << "expected usage_error";
  } catch (const weft::usage_error& e) {
    EXPECT_TRUE(e.collective());
  }
}

}  // namespace
