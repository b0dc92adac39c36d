#include <gtest/gtest.h>

#include "kernel_support.hpp"

namespace {

TEST(nstream, validates_and_reports_a_positive_bandwidth) {
  const auto rec = weft::testing::run_kernel("nstream", {{"length", 100003}, {"iterations", 4}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  const auto* bw = rec.find_metric("bandwidth");
  ASSERT_NE(bw, nullptr);
  EXPECT_GT(bw->value, 0);
  EXPECT_EQ(bw->unit, "GB/s");
  ASSERT_EQ(rec.phases.size(), 1u);
  EXPECT_EQ(rec.phases[0].phase, "compute");
}

TEST(nstream, works_when_some_ranks_own_no_elements) {
  // Fewer elements than ranks at 4 ranks: ranks 3.. own nothing.
  const auto rec = weft::testing::run_kernel("nstream", {{"length", 3}, {"iterations", 2}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
}

TEST(nstream, a_different_scalar_changes_the_expected_checksum_and_still_validates) {
  const auto rec =
      weft::testing::run_kernel("nstream", {{"length", 4097}, {"iterations", 3}, {"scalar", 0.5}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  EXPECT_NE(rec.check.detail.find("expected 49164"), std::string::npos) << rec.check.detail;
}

}  // namespace
