#include "weft/core/layout.hpp"

#include <omp.h>

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "test_support.hpp"

using weft::testing::world;

namespace {

TEST(layout, gather_layout_reports_every_rank_and_thread_on_rank_zero) {
  const auto w = world();
  const auto lay = weft::gather_layout(w);
  EXPECT_EQ(lay.ranks, w.size());
  EXPECT_EQ(lay.threads, omp_get_max_threads());
  EXPECT_GE(lay.nodes, 1);
  EXPECT_LE(lay.nodes, w.size());
  EXPECT_EQ(lay.workers(), w.size() * omp_get_max_threads());
  if (w.rank() == 0) {
    ASSERT_EQ(static_cast<int>(lay.placement.size()), w.size());
    for (int r = 0; r < w.size(); ++r) {
      EXPECT_EQ(lay.placement[r].rank, r);
      EXPECT_FALSE(lay.placement[r].host.empty());
      ASSERT_EQ(static_cast<int>(lay.placement[r].thread_cores.size()), omp_get_max_threads());
      for (const auto& cores : lay.placement[r].thread_cores) EXPECT_FALSE(cores.empty());
    }
    EXPECT_EQ(lay.placement[0].thread_cores[0], weft::current_cores());
    // One node per distinct host name (on the local cluster, each node has its own).
    std::set<std::string> hosts;
    for (const auto& p : lay.placement) hosts.insert(p.host);
    EXPECT_EQ(lay.nodes, static_cast<int>(hosts.size()));
  } else {
    EXPECT_TRUE(lay.placement.empty());
  }
}

TEST(layout, format_cores_compresses_runs) {
  EXPECT_EQ(weft::format_cores({}), "");
  EXPECT_EQ(weft::format_cores({3}), "3");
  EXPECT_EQ(weft::format_cores({0, 1, 2, 3, 6, 8, 9}), "0-3,6,8-9");
}

}  // namespace
