#include "weft/grid/halo.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

using weft::index_t;
using weft::grid::decomposition;
using weft::grid::dist_array;
using weft::grid::halo_exchange;
using weft::grid::halo_options;

constexpr double sentinel = -1.0;

// Every way to write `ranks` as a product of n factors, in order: 4 in 2-D gives 1x4,
// 2x2, 4x1.
std::vector<std::vector<int>> grids_of(int ranks, std::size_t n) {
  if (n == 1) return {{ranks}};
  std::vector<std::vector<int>> out;
  for (int f = 1; f <= ranks; ++f) {
    if (ranks % f != 0) continue;
    for (auto rest : grids_of(ranks / f, n - 1)) {
      rest.insert(rest.begin(), f);
      out.push_back(rest);
    }
  }
  return out;
}

// A value that names its global cell.
template <std::size_t N>
double value_at(const std::array<index_t, N>& g) {
  double v = 0;
  for (std::size_t d = 0; d < N; ++d) v = v * 100.0 + static_cast<double>(g[d]);
  return v + 1.0;
}

std::string describe(const std::vector<int>& grid, index_t width, unsigned periodic, bool corners) {
  std::string t = "grid ";
  for (std::size_t d = 0; d < grid.size(); ++d) t += (d ? "x" : "") + std::to_string(grid[d]);
  return t + ", width " + std::to_string(width) + ", periodic mask " + std::to_string(periodic) +
         (corners ? ", corners" : ", faces only");
}

// Counts halo cells that do not hold what the exchange promises: the owner's value for a
// cell inside the global shape (after wrapping periodic axes), the sentinel for a cell
// past a non-periodic edge, and the sentinel for edge/corner cells without `corners`.
template <std::size_t N>
int wrong_halo_cells(const dist_array<double, N>& a, index_t width, unsigned periodic,
                     bool corners) {
  const auto& shape = a.decomposition().global_shape();
  const auto& start = a.decomposition().local_start();
  const auto& n = a.interior_shape();
  const index_t h = a.halo();
  int wrong = 0;
  std::array<index_t, N> l{};
  const auto visit = [&](auto&& self, std::size_t d) -> void {
    if (d == N) {
      int outside = 0;
      bool within_width = true;
      bool past_edge = false;
      std::array<index_t, N> g{};
      for (std::size_t k = 0; k < N; ++k) {
        const bool out = l[k] < 0 || l[k] >= n[k];
        outside += out ? 1 : 0;
        within_width = within_width && l[k] >= -width && l[k] < n[k] + width;
        g[k] = start[k] + l[k];
        if (g[k] < 0 || g[k] >= shape[k]) {
          if ((periodic >> k) & 1U) {
            g[k] = (g[k] % shape[k] + shape[k]) % shape[k];
          } else {
            past_edge = true;
          }
        }
      }
      if (outside == 0) {
        wrong += a.local(l) == value_at<N>(g) ? 0 : 1;
        return;
      }
      const bool filled = within_width && !past_edge && (corners || outside == 1);
      const double want = filled ? value_at<N>(g) : sentinel;
      wrong += a.local(l) == want ? 0 : 1;
      return;
    }
    for (l[d] = -h; l[d] < n[d] + h; ++l[d]) self(self, d + 1);
  };
  visit(visit, 0);
  return wrong;
}

template <std::size_t N>
void check_every_layout(const weft::extents& shape, index_t halo) {
  const auto world = weft::testing::world();
  for (const auto& grid : grids_of(world.size(), N)) {
    for (index_t width = 1; width <= 3; ++width) {
      for (unsigned periodic = 0; periodic < (1U << N); ++periodic) {
        for (const bool corners : {false, true}) {
          // Arrange: interior cells name themselves, halo cells hold the sentinel.
          dist_array<double, N> a(decomposition::over(world, shape, grid), halo);
          for (double& v : a.storage()) v = sentinel;
          a.fill([](const std::array<index_t, N>& g) { return value_at<N>(g); });
          halo_options options;
          for (std::size_t d = 0; d < N; ++d) options.periodic[d] = ((periodic >> d) & 1U) != 0;
          options.corners = corners;
          options.width = width;
          halo_exchange<double, N> halo_plan(world, a, options);

          // Act.
          halo_plan.exchange();

          // Assert.
          EXPECT_EQ(wrong_halo_cells<N>(a, width, periodic, corners), 0)
              << "rank " << world.rank() << ", " << describe(grid, width, periodic, corners);
        }
      }
    }
  }
}

TEST(halo_exchange, fills_every_2d_halo_cell_from_its_owner_for_every_rank_grid_width_and_edge) {
  check_every_layout<2>({13, 14}, 3);
}

TEST(halo_exchange, fills_every_3d_halo_cell_from_its_owner_for_every_rank_grid_width_and_edge) {
  check_every_layout<3>({13, 14, 12}, 3);
}

TEST(halo_exchange, fills_corners_from_diagonal_neighbours_only_when_asked) {
  const auto world = weft::testing::world();
  dist_array<double, 2> a(decomposition::over(world, {8, 8}), 1);
  for (double& v : a.storage()) v = sentinel;
  a.fill([](const std::array<index_t, 2>& g) { return value_at<2>(g); });
  halo_exchange<double, 2> faces(world, a, {.periodic = {true, true}});
  halo_exchange<double, 2> all(world, a, {.periodic = {true, true}, .corners = true});

  faces.exchange();
  const double corner_after_faces = a(-1, -1);
  all.exchange();

  EXPECT_EQ(faces.neighbours(), 4U);
  EXPECT_EQ(all.neighbours(), 8U);
  EXPECT_EQ(corner_after_faces, sentinel);
  const auto& s = a.decomposition().local_start();
  EXPECT_EQ(a(-1, -1), value_at<2>({(s[0] + 7) % 8, (s[1] + 7) % 8}));
}

TEST(halo_exchange, overlapped_form_fills_the_halo_after_the_interior_was_computed) {
  const auto world = weft::testing::world();
  dist_array<double, 2> a(decomposition::over(world, {20, 16}), 2);
  dist_array<double, 2> b(decomposition::over(world, {20, 16}), 2);
  a.fill([](const std::array<index_t, 2>& g) { return value_at<2>(g); });
  halo_exchange<double, 2> halo(world, a, {.periodic = {true, true}});
  const auto& n = a.interior_shape();
  const auto split = weft::grid::split_for_overlap<2>({{0, 0}, {n[0], n[1]}}, 2);
  // b = sum of the star of radius 2 around each cell of a.
  const auto star = [&](const weft::grid::local_box<2>& box) {
    for (index_t i = box.lo[0]; i < box.hi[0]; ++i) {
      for (index_t j = box.lo[1]; j < box.hi[1]; ++j) {
        double s = a(i, j);
        for (index_t k = 1; k <= 2; ++k) s += a(i - k, j) + a(i + k, j) + a(i, j - k) + a(i, j + k);
        b(i, j) = s;
      }
    }
  };

  auto pending = halo.start();
  star(split.inner);
  pending.get();
  for (const auto& box : split.shell) star(box);

  int wrong = 0;
  const auto& st = a.decomposition().local_start();
  const auto wrap = [](index_t v, index_t m) { return (v % m + m) % m; };
  for (index_t i = 0; i < n[0]; ++i) {
    for (index_t j = 0; j < n[1]; ++j) {
      const index_t gi = st[0] + i;
      const index_t gj = st[1] + j;
      double s = value_at<2>({gi, gj});
      for (index_t k = 1; k <= 2; ++k) {
        s += value_at<2>({wrap(gi - k, 20), gj}) + value_at<2>({wrap(gi + k, 20), gj}) +
             value_at<2>({gi, wrap(gj - k, 16)}) + value_at<2>({gi, wrap(gj + k, 16)});
      }
      wrong += b(i, j) == s ? 0 : 1;
    }
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_FALSE(pending.valid());
}

// How often each cell of the box {0,0,0}..{7,5,9} is covered by a split's boxes.
std::vector<int> hits_7x5x9(const weft::grid::overlap_split<3>& split) {
  std::vector<int> hits(7 * 5 * 9, 0);
  auto mark = [&](const weft::grid::local_box<3>& b) {
    for (index_t i = b.lo[0]; i < b.hi[0]; ++i)
      for (index_t j = b.lo[1]; j < b.hi[1]; ++j)
        for (index_t k = b.lo[2]; k < b.hi[2]; ++k)
          ++hits[static_cast<std::size_t>((i * 5 + j) * 9 + k)];
  };
  if (!split.inner.empty()) mark(split.inner);
  for (const auto& b : split.shell) mark(b);
  return hits;
}

TEST(halo_exchange, split_for_overlap_covers_the_box_exactly_once) {
  const weft::grid::local_box<3> box{{0, 0, 0}, {7, 5, 9}};
  for (index_t depth = 0; depth <= 4; ++depth) {
    const auto split = weft::grid::split_for_overlap<3>(box, depth);
    for (const auto& b : split.shell) EXPECT_FALSE(b.empty());
    for (const int h : hits_7x5x9(split)) EXPECT_EQ(h, 1) << "depth " << depth;
    if (depth == 2) {
      EXPECT_EQ(split.inner.lo, (std::array<index_t, 3>{2, 2, 2}));
      EXPECT_EQ(split.inner.hi, (std::array<index_t, 3>{5, 3, 7}));
    }
  }
}

TEST(halo_exchange, receiving_faces_are_those_with_a_neighbour) {
  const auto world = weft::testing::world();
  const int p = world.size();
  // p x 1 rank grid, periodic along axis 1 only: axis 0 receives except at the global
  // edges; axis 1 always receives (the rank is its own neighbour).
  dist_array<double, 2> a(decomposition::over(world, {4 * p, 6}, {p, 1}), 1);
  halo_exchange<double, 2> halo(world, a, {.periodic = {false, true}});
  const auto f = halo.receiving_faces();
  const int r = a.decomposition().coords()[0];
  EXPECT_EQ(f[0][0], r > 0);
  EXPECT_EQ(f[0][1], r < p - 1);
  EXPECT_TRUE(f[1][0]);
  EXPECT_TRUE(f[1][1]);
}

TEST(halo_exchange, split_for_overlap_peels_only_the_receiving_faces) {
  const weft::grid::local_box<3> box{{0, 0, 0}, {7, 5, 9}};
  // Low face of axis 0 and high face of axis 2 receive; the others are global edges.
  const std::array<std::array<bool, 2>, 3> faces{{{true, false}, {false, false}, {false, true}}};
  const auto split = weft::grid::split_for_overlap<3>(box, 2, faces);
  EXPECT_EQ(split.inner.lo, (std::array<index_t, 3>{2, 0, 0}));
  EXPECT_EQ(split.inner.hi, (std::array<index_t, 3>{7, 5, 7}));
  EXPECT_EQ(split.shell.size(), 2U);
  for (const int h : hits_7x5x9(split)) EXPECT_EQ(h, 1);
}

TEST(halo_exchange, refuses_a_width_wider_than_the_halo_or_a_block_thinner_than_the_width) {
  const auto world = weft::testing::world();
  dist_array<double, 2> a(decomposition::over(world, {8, 8}), 1);
  dist_array<double, 2> thin(decomposition::over(world, {2 * world.size(), 3}, {world.size(), 1}),
                             3);

  using plan = halo_exchange<double, 2>;
  const halo_options too_wide{.width = 2};
  const halo_options wrapped{.periodic = {true, false}};
  const halo_options narrower{.width = 2};

  EXPECT_THROW(plan(world, a, too_wide), weft::usage_error);
  EXPECT_THROW(plan(world, thin, wrapped), weft::usage_error);
  EXPECT_NO_THROW(plan(world, thin, narrower));
}

}  // namespace
