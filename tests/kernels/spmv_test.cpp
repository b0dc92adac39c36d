#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dense_test_support.hpp"
#include "kernel_support.hpp"
#include "weft/base/cache.hpp"
#include "weft/core/error.hpp"
#include "weft/par/rng.hpp"

namespace {

using weft::testing::run_kernel;
using weft::testing::world;

TEST(spmv, the_generated_star_matrix_validates_against_the_closed_form) {
  const auto rec = run_kernel("spmv", {{"scale", 4}, {"radius", 2}, {"iterations", 3}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  EXPECT_EQ(rec.extra["nonzeros"].get<long long>(), 16 * 16 * 9);
  const auto* rate = rec.find_metric("rate");
  ASSERT_NE(rate, nullptr);
  EXPECT_GT(rate->value, 0);
}

TEST(spmv, the_plan_fetches_exactly_the_rows_within_the_radius_from_neighbours) {
  // 16 x 16 grid, radius 2, blocks of whole grid rows: every rank needs 2 grid rows above
  // and 2 below (periodic), and nothing else.
  const int p = world().size();
  const auto rec = run_kernel("spmv", {{"scale", 4}, {"radius", 2}, {"iterations", 1}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  const long long expected = p == 1 ? 0 : static_cast<long long>(p) * 2 * 2 * 16;
  EXPECT_EQ(rec.extra["fetched_entries_per_iteration"].get<long long>(), expected);
  EXPECT_LE(rec.extra["max_neighbours"].get<int>(), 2);
}

TEST(spmv, scrambled_columns_validate) {
  const auto rec =
      run_kernel("spmv", {{"scale", 5}, {"radius", 3}, {"iterations", 2}, {"scramble", true}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
}

TEST(spmv, auto_numbers_x_by_first_use_for_scrambled_columns_and_keeps_the_plain_order) {
  // Each rank's part of x must outrun the core's L2 (the cache the choice models): 2^20
  // doubles (8 MiB) over the ranks, or more on a core with a larger L2. Scrambled, the
  // owner order then misses the modelled cache on most gathers, first use on few; the
  // plain star reads x in sequence either way, so it keeps the owner order.
  const std::size_t l2 = weft::cache_bytes(2, std::size_t{1} << 20);
  const auto ranks = static_cast<std::size_t>(world().size());
  int scale = 10;
  while ((std::size_t{8} << (2 * scale)) / ranks < l2) ++scale;
  const auto scrambled =
      run_kernel("spmv", {{"scale", scale}, {"radius", 2}, {"iterations", 1}, {"scramble", true}});
  EXPECT_TRUE(scrambled.check.passed) << scrambled.check.detail;
  EXPECT_EQ(scrambled.extra["x_numbering"].get<std::string>(), "first-use");
  const auto plain = run_kernel("spmv", {{"scale", scale}, {"radius", 2}, {"iterations", 1}});
  EXPECT_TRUE(plain.check.passed) << plain.check.detail;
  EXPECT_EQ(plain.extra["x_numbering"].get<std::string>(), "owner");
}

TEST(spmv, every_numbering_of_x_validates_and_fetches_the_same_entries) {
  long long fetched = -1;
  for (const char* numbering : {"owner", "first-use"}) {
    for (const bool scramble : {false, true}) {
      const auto rec = run_kernel("spmv", {{"scale", 5},
                                           {"radius", 3},
                                           {"iterations", 3},
                                           {"scramble", scramble},
                                           {"renumber", std::string(numbering)}});
      EXPECT_TRUE(rec.check.passed) << numbering << ": " << rec.check.detail;
      EXPECT_EQ(rec.extra["x_numbering"].get<std::string>(), numbering);
      if (scramble) {
        const auto f = rec.extra["fetched_entries_per_iteration"].get<long long>();
        if (fetched >= 0) {
          EXPECT_EQ(f, fetched);
        }
        fetched = f;
      }
    }
  }
}

TEST(spmv, a_radius_the_grid_cannot_hold_is_a_usage_error) {
  EXPECT_THROW((void)run_kernel("spmv", {{"scale", 2}, {"radius", 2}}), weft::usage_error);
}

struct csr {
  std::vector<std::int64_t> row_ptr{0}, col;
  std::vector<double> val;
  // Appends a row that reads `cols` (sorted here, repeats dropped), each entry's value
  // value(column), called in column order.
  template <class Value>
  void add_row(std::vector<std::int64_t> cols, Value value) {
    std::sort(cols.begin(), cols.end());
    cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
    for (const auto c : cols) {
      col.push_back(c);
      val.push_back(value(c));
    }
    row_ptr.push_back(static_cast<std::int64_t>(col.size()));
  }
};

// A random CSR matrix of `order` rows with 0..5 nonzeros per row.
csr random_matrix(std::int64_t order) {
  csr m;
  std::uint64_t draw = 0;
  for (std::int64_t r = 0; r < order; ++r) {
    const auto k = weft::par::counter_rng::bits(5, draw++) % 6;
    std::vector<std::int64_t> cols;
    for (std::uint64_t e = 0; e < k; ++e) {
      cols.push_back(static_cast<std::int64_t>(weft::par::counter_rng::bits(6, draw++) % order));
    }
    m.add_row(cols,
              [&](std::int64_t) { return weft::par::counter_rng::uniform(7, draw++) - 0.25; });
  }
  return m;
}

// Writes m as GROUP/row_ptr, GROUP/col_index (as col_type in the file), GROUP/values from
// rank 0, then waits for it on every rank.
void write_matrix(const std::string& file, const std::string& group, const csr& m,
                  hid_t col_type = H5T_STD_I64LE) {
  if (world().rank() == 0) {
    weft::testing::write_serial(
        file,
        {{group + "/row_ptr",
          {m.row_ptr.size()},
          H5T_STD_I64LE,
          H5T_NATIVE_INT64,
          m.row_ptr.data()},
         {group + "/col_index", {m.col.size()}, col_type, H5T_NATIVE_INT64, m.col.data()},
         {group + "/values", {m.val.size()}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, m.val.data()}});
  }
  world().barrier();
}

// The matrix FILE:/A multiplied from its packed form (16-bit offsets, shifted groups) and
// with a 32-bit column per entry: both validate, with the same sum to the bit.
struct packed_and_32_bit {
  weft::record packed, plain;
};
packed_and_32_bit run_packed_and_32_bit(const std::string& file, long long iterations,
                                        const std::string& renumber) {
  auto with = [&](const char* indices) {
    return run_kernel("spmv", {{"matrix", file + ":/A"},
                               {"iterations", iterations},
                               {"renumber", renumber},
                               {"indices", std::string(indices)}});
  };
  packed_and_32_bit runs{with("auto"), with("32")};
  EXPECT_TRUE(runs.packed.check.passed) << runs.packed.check.detail;
  EXPECT_TRUE(runs.plain.check.passed) << runs.plain.check.detail;
  EXPECT_EQ(runs.packed.check.detail, runs.plain.check.detail);  // the same sum, to the bit
  return runs;
}

TEST(spmv, a_csr_matrix_read_from_hdf5_with_an_order_the_ranks_do_not_divide_validates) {
  const weft::testing::shared_scratch dir("weft-spmv");
  const auto file = dir / "m.h5";
  const auto m = random_matrix(37);
  write_matrix(file, "/A", m, H5T_STD_I32LE);

  const auto rec = run_kernel("spmv", {{"matrix", file + ":/A"}, {"iterations", 4}});
  const auto renumbered = run_kernel(
      "spmv",
      {{"matrix", file + ":/A"}, {"iterations", 4}, {"renumber", std::string("first-use")}});

  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  EXPECT_TRUE(renumbered.check.passed) << renumbered.check.detail;
  EXPECT_EQ(rec.extra["order"].get<long long>(), 37);
  EXPECT_EQ(rec.extra["nonzeros"].get<long long>(), static_cast<long long>(m.col.size()));
}

TEST(spmv, a_matrix_of_zeros_validates_against_its_zero_sums) {
  // Both closed forms, the plain sum of y and the row-weighted one, are 0 here.
  const weft::testing::shared_scratch dir("weft-spmv-zero");
  const auto file = dir / "m.h5";
  auto m = random_matrix(41);
  std::fill(m.val.begin(), m.val.end(), 0.0);
  write_matrix(file, "/A", m);
  const auto rec = run_kernel("spmv", {{"matrix", file + ":/A"}, {"iterations", 2}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
}

TEST(spmv, packed_indices_give_the_bits_of_32_bit_ones_in_every_kind_of_block) {
  // 280000 rows, so that x outgrows 16-bit offsets on up to 4 ranks: a band of 0..2
  // entries around the diagonal (ragged, some rows empty), and every 97th row also reads a
  // column anywhere (a wide block). Rows 70000..70999 hold exactly 3 entries (uniform).
  const weft::testing::shared_scratch dir("weft-spmv-packed");
  const auto file = dir / "m.h5";
  const std::int64_t order = 280000;
  csr m;
  std::uint64_t draw = 0;
  for (std::int64_t r = 0; r < order; ++r) {
    const bool alike = r >= 70000 && r < 71000;
    const auto k = alike ? 3 : weft::par::counter_rng::bits(8, draw++) % 3;
    std::vector<std::int64_t> cols;
    for (std::uint64_t e = 0; e < k; ++e) {
      const auto off = static_cast<std::int64_t>(weft::par::counter_rng::bits(9, draw++) % 64);
      cols.push_back(std::clamp<std::int64_t>(r + (alike ? e : off - 32), 0, order - 1));
    }
    if (!alike && r % 97 == 0) {
      cols.push_back(static_cast<std::int64_t>(weft::par::counter_rng::bits(10, draw++) % order));
    }
    m.add_row(cols,
              [&](std::int64_t) { return weft::par::counter_rng::uniform(11, draw++) + 0.5; });
  }
  write_matrix(file, "/A", m);
  for (const char* numbering : {"owner", "first-use"}) {
    const auto [packed, plain] = run_packed_and_32_bit(file, 2, numbering);
    const auto narrow = packed.extra["narrow_index_fraction"].get<double>();
    EXPECT_GT(narrow, 0.5) << numbering;
    EXPECT_LT(narrow, 1.0) << numbering;
    EXPECT_EQ(plain.extra["narrow_index_fraction"].get<double>(), 0.0);
    EXPECT_LT(packed.find_metric("bytes_per_nonzero")->value,
              plain.find_metric("bytes_per_nonzero")->value);
  }
}

TEST(spmv, shifted_rows_read_x_in_runs_and_give_the_bits_of_32_bit_columns) {
  // Row r reads r, r + 1 and r + order / 2 (mod order): each row is the row before it
  // shifted by one column, except where the columns wrap around, and every block spans
  // more of x than 16-bit offsets reach (32-bit columns). Rows 1000..1999 hold a ragged
  // band instead (rows with row ends), and the odd order leaves partial groups.
  const weft::testing::shared_scratch dir("weft-spmv-shifted");
  const auto file = dir / "m.h5";
  const std::int64_t order = 280003;
  csr m;
  std::uint64_t draw = 0;
  for (std::int64_t r = 0; r < order; ++r) {
    std::vector<std::int64_t> cols;
    if (r >= 1000 && r < 2000) {
      for (std::int64_t c = r - static_cast<std::int64_t>(r % 3); c <= r; ++c) cols.push_back(c);
    } else {
      cols = {r, (r + 1) % order, (r + order / 2) % order};
    }
    m.add_row(cols,
              [&](std::int64_t) { return weft::par::counter_rng::uniform(12, draw++) + 0.5; });
  }
  write_matrix(file, "/A", m);
  const auto [packed, plain] = run_packed_and_32_bit(file, 2, "owner");
  EXPECT_LT(packed.extra["narrow_index_fraction"].get<double>(), 0.01);  // the band only
  const auto shifted = packed.extra["shifted_row_fraction"].get<double>();
  EXPECT_GT(shifted, 0.9);
  EXPECT_LT(shifted, 0.997);  // not the band, nor the rows around the wrap
  EXPECT_EQ(plain.extra["shifted_row_fraction"].get<double>(), 0.0);
  // A shifted group stores one row's columns for four: about 1 B per nonzero instead of 4.
  EXPECT_LT(packed.find_metric("bytes_per_nonzero")->value,
            plain.find_metric("bytes_per_nonzero")->value - 2.5);
}

TEST(spmv, a_laplacian_with_boundary_rows_goes_four_rows_at_a_time_and_keeps_its_bits) {
  // The 5-point Laplacian of a 300 x 300 grid with Dirichlet boundaries: boundary rows
  // hold 3 or 4 entries, the others 5, so no block's rows are all alike; still, away from
  // the grid's left and right edges, every four rows are shifted copies of each other.
  const weft::testing::shared_scratch dir("weft-spmv-laplacian");
  const auto file = dir / "m.h5";
  const std::int64_t n = 300;
  csr m;
  std::uint64_t draw = 0;
  for (std::int64_t j = 0; j < n; ++j) {
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t c = j * n + i;
      std::vector<std::int64_t> cols{c};
      if (j > 0) cols.push_back(c - n);
      if (i > 0) cols.push_back(c - 1);
      if (i < n - 1) cols.push_back(c + 1);
      if (j < n - 1) cols.push_back(c + n);
      m.add_row(cols,
                [&](std::int64_t) { return weft::par::counter_rng::uniform(13, draw++) - 0.5; });
    }
  }
  write_matrix(file, "/A", m);
  const auto [packed, plain] = run_packed_and_32_bit(file, 2, "auto");
  EXPECT_EQ(packed.extra["nonzeros"].get<long long>(), 5 * n * n - 4 * n);
  EXPECT_GT(packed.extra["shifted_row_fraction"].get<double>(), 0.9);
}

TEST(spmv, rows_that_fit_16_bits_only_alone_stay_32_bit_and_cost_next_to_nothing) {
  // A band with its rows permuted: row r reads 3 columns around (40009 r) mod order, so
  // each row fits 16-bit offsets alone, but never more than two rows in a row do. Blocks
  // of one or two rows would cost more in descriptors than 16 bits save.
  const weft::testing::shared_scratch dir("weft-spmv-permuted");
  const auto file = dir / "m.h5";
  const std::int64_t order = 280000;
  csr m;
  for (std::int64_t r = 0; r < order; ++r) {
    const std::int64_t centre = std::clamp<std::int64_t>(r * 40009 % order, 1, order - 2);
    m.add_row({centre - 1, centre, centre + 1},
              [](std::int64_t c) { return 1.0 / static_cast<double>(c + 1); });
  }
  write_matrix(file, "/A", m);
  const auto [packed, plain] = run_packed_and_32_bit(file, 1, "owner");
  EXPECT_LT(packed.extra["narrow_index_fraction"].get<double>(), 0.1);
  // Blocks of one or two rows would add about 10 B per nonzero.
  EXPECT_LE(packed.find_metric("bytes_per_nonzero")->value,
            1.01 * plain.find_metric("bytes_per_nonzero")->value);
}

TEST(spmv, the_star_matrix_packs_all_but_its_periodic_rows_into_16_bit_offsets) {
  // 512 x 512 grid: x holds 262144 entries; rows read at most 2 grid rows (1024 entries)
  // away, except where the grid wraps around.
  const auto rec = run_kernel("spmv", {{"scale", 9}, {"radius", 2}, {"iterations", 1}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  const auto narrow = rec.extra["narrow_index_fraction"].get<double>();
  EXPECT_GT(narrow, 0.95);
  EXPECT_LE(narrow, 1.0);
  // Each row is the one before it shifted by a column, except where the grid wraps.
  EXPECT_GT(rec.extra["shifted_row_fraction"].get<double>(), 0.95);
  // 8 B value + 2 B column for one row in four + 40 B per row over 9 entries, and a
  // little for the rows that are not shifted (14.5 B with a column per entry).
  EXPECT_LT(rec.find_metric("bytes_per_nonzero")->value, 13.5);
}

TEST(spmv, a_row_pointer_that_does_not_match_the_entries_is_bad_input_on_every_rank) {
  const weft::testing::shared_scratch dir("weft-spmv-bad");
  const auto file = dir / "m.h5";
  auto m = random_matrix(11);
  m.row_ptr.back() += 3;  // claims more entries than there are
  write_matrix(file, "/M", m);
  EXPECT_THROW((void)run_kernel("spmv", {{"matrix", file + ":/M"}}), weft::input_error);
}

}  // namespace
