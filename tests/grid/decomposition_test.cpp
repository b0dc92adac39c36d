#include "weft/grid/decomposition.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "test_support.hpp"
#include "weft/core/error.hpp"

namespace {

using weft::extents;
using weft::index_t;
using weft::grid::decomposition;

TEST(decomposition, blocks_cover_the_shape_exactly_once_and_differ_by_at_most_one_row) {
  for (int ranks : {1, 2, 3, 4, 6, 7, 12}) {
    const extents shape{13, 7, 5};
    std::vector<int> hits(13 * 7 * 5, 0);
    for (int r = 0; r < ranks; ++r) {
      const decomposition d(shape, ranks, r);
      const auto b = d.block();
      for (index_t i = b.start[0]; i < b.start[0] + b.count[0]; ++i)
        for (index_t j = b.start[1]; j < b.start[1] + b.count[1]; ++j)
          for (index_t k = b.start[2]; k < b.start[2] + b.count[2]; ++k)
            ++hits[(i * 7 + j) * 5 + k];
      for (int axis = 0; axis < 3; ++axis) {
        for (int other = 0; other < ranks; ++other) {
          const auto o = d.block_of(other);
          if (d.coords_of(other)[axis] == d.coords()[axis]) continue;
          EXPECT_LE(std::abs(o.count[axis] - b.count[axis]), 1) << ranks << " ranks, axis " << axis;
        }
      }
    }
    for (int h : hits) ASSERT_EQ(h, 1) << ranks << " ranks";
  }
}

TEST(decomposition, uses_mpi_dims_create_or_the_grid_it_is_given) {
  const decomposition chosen({100, 100}, 4, 0);
  EXPECT_EQ(chosen.grid(), (std::vector<int>{2, 2}));
  const decomposition given({100, 100}, 4, 0, {4, 1});
  EXPECT_EQ(given.grid(), (std::vector<int>{4, 1}));
  EXPECT_EQ(given.grid_text(), "4x1");
  const decomposition half({100, 100, 100}, 8, 0, {0, 0, 2});
  EXPECT_EQ(half.grid()[2], 2);
  EXPECT_THROW(decomposition({10, 10}, 4, 0, {3, 0}), weft::usage_error);
  EXPECT_THROW(decomposition({10, 10}, 4, 0, {2, 3}), weft::usage_error);
  EXPECT_THROW(decomposition({10, 10, 10, 10}, 1, 0), weft::usage_error);
  EXPECT_THROW(decomposition(extents{}, 1, 0), weft::usage_error);
}

TEST(decomposition, more_ranks_than_rows_leaves_some_ranks_with_an_empty_block) {
  const decomposition last({3}, 5, 4);
  EXPECT_EQ(last.local_size(), 0);
  EXPECT_TRUE(last.block().empty());
  const decomposition first({3}, 5, 0);
  EXPECT_EQ(first.local_size(), 1);
  EXPECT_EQ(first.owner({2}), 2);
}

TEST(decomposition, owner_and_index_mapping_agree_with_the_blocks) {
  const extents shape{10, 9};
  for (int ranks : {1, 2, 3, 4, 6}) {
    const decomposition any(shape, ranks, 0);
    for (index_t i = 0; i < 10; ++i) {
      for (index_t j = 0; j < 9; ++j) {
        const int o = any.owner({i, j});
        const decomposition d(shape, ranks, o);
        ASSERT_TRUE(d.block().contains({i, j})) << i << "," << j << " at " << ranks;
        EXPECT_EQ(d.to_global(d.to_local({i, j})), (extents{i, j}));
      }
    }
    EXPECT_THROW((void)any.owner({10, 0}), std::out_of_range);
  }
}

TEST(decomposition, neighbours_follow_the_rank_grid_with_and_without_wrapping) {
  const decomposition d({8, 8}, 6, 4, {3, 2});  // rank 4 sits at (2, 0)
  EXPECT_EQ(d.coords(), (std::vector<int>{2, 0}));
  EXPECT_EQ(d.neighbour(0, -1), 2);
  EXPECT_EQ(d.neighbour(0, +1), std::nullopt);
  EXPECT_EQ(d.neighbour(0, +1, true), 0);
  EXPECT_EQ(d.neighbour(1, +1), 5);
  EXPECT_EQ(d.neighbour(1, -1), std::nullopt);
  EXPECT_EQ(d.neighbour(1, -1, true), 5);
}

TEST(decomposition, over_a_communicator_uses_its_rank_and_size) {
  const auto world = weft::testing::world();
  const auto d = decomposition::over(world, {17, 3});
  EXPECT_EQ(d.ranks(), world.size());
  EXPECT_EQ(d.rank(), world.rank());
  const index_t total = world.allreduce(d.local_size(), weft::op::sum);
  EXPECT_EQ(total, 17 * 3);
}

TEST(decomposition, parses_shapes_like_512x512_and_refuses_malformed_ones) {
  EXPECT_EQ(weft::parse_extents("8192x8192", "--shape"), (extents{8192, 8192}));
  EXPECT_EQ(weft::parse_extents("7", "--shape"), (extents{7}));
  for (const char* bad : {"", "x", "4x", "4xx4", "0x4", "-3", "4x4x4x4", "a", "4 x4"}) {
    EXPECT_THROW((void)weft::parse_extents(bad, "--shape"), weft::usage_error) << bad;
  }
}

}  // namespace
