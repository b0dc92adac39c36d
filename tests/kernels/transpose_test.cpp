#include <gtest/gtest.h>

#include <string>

#include "kernel_support.hpp"

namespace {

using weft::testing::run_kernel;

TEST(transpose, validates_every_element_with_both_exchanges_and_with_and_without_tiles) {
  for (const char* exchange : {"alltoall", "pairwise"}) {
    for (const int tile : {0, 4, 32}) {
      const auto rec = run_kernel(
          "transpose", {{"order", 37}, {"iterations", 3}, {"tile", tile}, {"exchange", exchange}});
      EXPECT_TRUE(rec.check.passed) << exchange << ", tile " << tile << ": " << rec.check.detail;
      const auto* bw = rec.find_metric("bandwidth");
      ASSERT_NE(bw, nullptr);
      EXPECT_GT(bw->value, 0);
      EXPECT_EQ(rec.extra["exchange"], exchange);
    }
  }
}

TEST(transpose, validates_when_the_order_does_not_divide_evenly_or_is_smaller_than_the_ranks) {
  for (const int order : {1, 3, 64, 65}) {
    const auto rec = run_kernel("transpose", {{"order", order}, {"iterations", 2}, {"tile", 8}});
    EXPECT_TRUE(rec.check.passed) << "order " << order << ": " << rec.check.detail;
  }
}

TEST(transpose, reports_a_zero_error_sum_when_the_answer_is_exact) {
  const auto rec = run_kernel("transpose", {{"order", 16}, {"iterations", 1}});
  EXPECT_NE(rec.check.detail.find("sum of absolute errors 0 "), std::string::npos)
      << rec.check.detail;
}

}  // namespace
