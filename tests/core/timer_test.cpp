#include "weft/core/timer.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "test_support.hpp"

using weft::testing::world;

namespace {

TEST(phase_timer, scopes_accumulate_per_phase) {
  weft::phase_timer t;
  {
    auto s = t.time("compute");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    auto s = t.time("compute");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  t.add("io", 0.25);
  EXPECT_GE(t.seconds("compute"), 0.009);
  EXPECT_DOUBLE_EQ(t.seconds("io"), 0.25);
  EXPECT_DOUBLE_EQ(t.seconds("never"), 0.0);
}

TEST(phase_timer, summarize_gives_min_mean_max_and_imbalance_over_ranks) {
  const auto w = world();
  weft::phase_timer t;
  t.add("compute", 1.0 + w.rank());     // rank r spends 1 + r seconds
  if (w.rank() == 0) t.add("io", 2.0);  // only rank 0 does I/O
  const auto stats = weft::summarize(w, t);
  ASSERT_EQ(stats.size(), 2u);
  const auto& c = stats[0];
  EXPECT_EQ(c.phase, "compute");
  const int n = w.size();
  EXPECT_DOUBLE_EQ(c.min, 1.0);
  EXPECT_DOUBLE_EQ(c.max, static_cast<double>(n));
  EXPECT_DOUBLE_EQ(c.mean, (n + 1) / 2.0);
  EXPECT_DOUBLE_EQ(c.imbalance(), n / ((n + 1) / 2.0));
  const auto& io = stats[1];
  EXPECT_EQ(io.phase, "io");
  EXPECT_DOUBLE_EQ(io.max, 2.0);
  EXPECT_DOUBLE_EQ(io.min, n > 1 ? 0.0 : 2.0);
  EXPECT_DOUBLE_EQ(io.mean, 2.0 / n);
}

TEST(phase_stats, imbalance_of_an_empty_phase_is_one) {
  weft::phase_stats s;
  EXPECT_DOUBLE_EQ(s.imbalance(), 1.0);
}

}  // namespace
