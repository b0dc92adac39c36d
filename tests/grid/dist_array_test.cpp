#include "weft/grid/dist_array.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "test_support.hpp"

namespace {

using weft::index_t;
using weft::grid::decomposition;
using weft::grid::dist_array;

TEST(dist_array, the_padded_layout_has_a_halo_on_every_side_and_row_major_strides) {
  const dist_array<double, 3> a(decomposition({4, 5, 6}, 1, 0), 2);
  EXPECT_EQ(a.interior_shape(), (std::array<index_t, 3>{4, 5, 6}));
  EXPECT_EQ(a.padded_shape(), (std::array<index_t, 3>{8, 9, 10}));
  EXPECT_EQ(a.strides(), (std::array<index_t, 3>{90, 10, 1}));
  EXPECT_EQ(a.storage().size(), 720u);
  EXPECT_EQ(a.offset({-2, -2, -2}), 0);
  EXPECT_EQ(a.offset({0, 0, 0}), 2 * 90 + 2 * 10 + 2);
  EXPECT_EQ(a.offset({5, 6, 7}), 719);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.storage().data()) % weft::cache_line_bytes, 0u);
}

TEST(dist_array, storage_starts_zeroed_and_holds_values_by_local_and_global_index) {
  const auto world = weft::testing::world();
  dist_array<int, 2> a(decomposition::over(world, {9, 4}), 1);
  for (const int v : a.storage()) ASSERT_EQ(v, 0);
  a.fill([](const std::array<index_t, 2>& g) { return static_cast<int>(g[0] * 100 + g[1]); });
  const auto& start = a.decomposition().local_start();
  for (index_t i = 0; i < a.interior_shape()[0]; ++i) {
    for (index_t j = 0; j < a.interior_shape()[1]; ++j) {
      EXPECT_EQ(a(i, j), (start[0] + i) * 100 + start[1] + j);
      EXPECT_EQ(a.global({start[0] + i, start[1] + j}), a(i, j));
      EXPECT_TRUE(a.owns({start[0] + i, start[1] + j}));
    }
  }
  // The halo is untouched by fill().
  if (!a.empty()) {
    EXPECT_EQ(a(-1, -1), 0);
  }
  long long local = 0;
  for (index_t i = 0; i < a.interior_shape()[0]; ++i)
    for (index_t j = 0; j < a.interior_shape()[1]; ++j) local += a(i, j);
  long long expected = 0;
  for (int i = 0; i < 9; ++i)
    for (int j = 0; j < 4; ++j) expected += i * 100 + j;
  EXPECT_EQ(world.allreduce(local, weft::op::sum), expected);
}

TEST(dist_array, a_rank_with_an_empty_block_has_no_storage) {
  const dist_array<float, 1> a(decomposition({2}, 4, 3), 1);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.storage().size(), 0u);
  EXPECT_EQ(a.padded_shape()[0], 0);
}

TEST(dist_array, refuses_a_decomposition_with_another_number_of_axes) {
  EXPECT_THROW((dist_array<double, 2>(decomposition({4}, 1, 0))), weft::usage_error);
  EXPECT_THROW((dist_array<double, 1>(decomposition({4}, 1, 0), -1)), weft::usage_error);
}

TEST(dist_array, moves_without_copying_its_storage) {
  dist_array<double, 1> a(decomposition({10}, 1, 0));
  a(3) = 7.5;
  const double* p = a.storage().data();
  const dist_array<double, 1> b(std::move(a));
  EXPECT_EQ(b.storage().data(), p);
  EXPECT_EQ(b(3), 7.5);
}

}  // namespace
