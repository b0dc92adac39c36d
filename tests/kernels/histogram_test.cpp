#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "dataset_fixture.hpp"
#include "kernel_support.hpp"
#include "weft/core/error.hpp"
#include "weft/par/rng.hpp"

namespace {

using weft::index_t;
using weft::json;
using weft::testing::world;

TEST(histogram, every_value_falls_between_its_bins_stored_edges_and_the_top_in_the_last) {
  const weft::testing::dataset_folder folder;
  const auto input = folder.write("ramp.h5", {10, 10}, [](index_t i) { return double(i); });
  const auto rec = weft::testing::run_kernel(
      "histogram", {{"input", input}, {"bins", 99}, {"slab-mib", 0.0002}});
  ASSERT_TRUE(rec.check.passed) << rec.check.detail;
  const auto& h = rec.extra["histogram"];
  EXPECT_EQ(h["range"], json({0.0, 99.0}));
  const auto counts = h["counts"].get<std::vector<long long>>();
  const auto edges = h["edges"].get<std::vector<double>>();
  ASSERT_EQ(counts.size(), 99u);
  ASSERT_EQ(edges.size(), 100u);
  std::vector<long long> expected(99, 0);
  for (int v = 0; v < 100; ++v) {
    std::size_t k = 98;  // the top value belongs to the last bin
    for (std::size_t i = 0; i < 99; ++i) {
      if (edges[i] <= v && v < edges[i + 1]) k = i;
    }
    ++expected[k];
  }
  EXPECT_EQ(counts, expected);
  EXPECT_GE(counts.back(), 2);
  // Contiguous native doubles: mapped, the file never opened with MPI-IO. Through HDF5
  // instead (the file opened with MPI-IO), the same counts.
  EXPECT_EQ(rec.extra["read"], "direct");
  EXPECT_EQ(rec.extra["file_driver"], "sec2");
  const weft::testing::scoped_env no_mapping("WEFT_DIRECT_READ", "off");
  const auto through_hdf5 = weft::testing::run_kernel(
      "histogram", {{"input", input}, {"bins", 99}, {"slab-mib", 0.0002}});
  EXPECT_EQ(through_hdf5.extra["read"], "hdf5");
  EXPECT_EQ(through_hdf5.extra["file_driver"], "mpio");
  EXPECT_EQ(through_hdf5.extra["histogram"]["counts"], h["counts"]);
}

TEST(histogram, values_outside_the_range_and_nans_are_counted_apart) {
  const weft::testing::dataset_folder folder;
  const auto input = folder.write("edges.h5", {2, 5}, [](index_t i) {
    const double v[] = {-5,
                        0,
                        0.5,
                        1,
                        2,
                        std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::infinity(),
                        0.25,
                        0.75,
                        0.999};
    return v[i];
  });
  const auto rec =
      weft::testing::run_kernel("histogram", {{"input", input}, {"bins", 4}, {"range", "0:1"}});
  ASSERT_TRUE(rec.check.passed) << rec.check.detail;
  const auto& h = rec.extra["histogram"];
  EXPECT_EQ(h["counts"], json({1, 1, 1, 3}));
  EXPECT_EQ(h["underflow"], 1);
  EXPECT_EQ(h["overflow"], 2);
  EXPECT_EQ(h["nan"], 1);
}

// With the data's own range, -inf and +inf are the only values outside it: they go to
// under- and overflow and the run validates (it used to fail its own check).
TEST(histogram, infinities_fall_outside_the_datas_own_range) {
  const weft::testing::dataset_folder folder;
  const double inf = std::numeric_limits<double>::infinity();
  const auto input = folder.write("inf.h5", {3, 4}, [inf](index_t i) {
    const double v[] = {1, 2, -inf, 3, inf, 4, std::nan(""), 5, inf, 6, 7, 8};
    return v[i];
  });
  const auto rec = weft::testing::run_kernel("histogram", {{"input", input}, {"bins", 7}});
  ASSERT_TRUE(rec.check.passed) << rec.check.detail;
  const auto& h = rec.extra["histogram"];
  EXPECT_EQ(h["range"], json({1.0, 8.0}));
  EXPECT_EQ(h["underflow"], 1);
  EXPECT_EQ(h["overflow"], 2);
  EXPECT_EQ(h["nan"], 1);
}

// Random values, some exactly on an edge, some outside the range, NaN and infinities:
// each lands in the bin its stored edges give, with few and with many bins (one and
// several interleaved counters per thread).
TEST(histogram, random_values_land_in_the_bin_their_stored_edges_give_at_any_bin_count) {
  const auto value = [](index_t i) {
    if (i % 97 == 0) return std::numeric_limits<double>::quiet_NaN();
    if (i % 101 == 0) return (i % 2 == 0 ? 1 : -1) * std::numeric_limits<double>::infinity();
    if (i % 13 == 0) return -2.0 + 0.75 * static_cast<double>(i % 9);  // on or near edges
    return -3.0 + 8.0 * weft::par::counter_rng::uniform(11, static_cast<std::uint64_t>(i));
  };
  const weft::testing::dataset_folder folder;
  const index_t rows = 203, cols = 31;
  const auto input = folder.write("random.h5", {rows, cols}, value);
  for (const int bins : {8, 5000}) {
    const auto rec = weft::testing::run_kernel(
        "histogram", {{"input", input}, {"bins", bins}, {"range", "-2:4"}, {"slab-mib", 0.01}});
    ASSERT_TRUE(rec.check.passed) << rec.check.detail;
    const auto& h = rec.extra["histogram"];
    const auto edges = h["edges"].get<std::vector<double>>();
    std::vector<long long> expected(static_cast<std::size_t>(bins), 0);
    long long under = 0, over = 0, nans = 0;
    for (index_t i = 0; i < rows * cols; ++i) {
      const double v = value(i);
      if (std::isnan(v)) {
        ++nans;
      } else if (v < -2.0) {
        ++under;
      } else if (v > 4.0) {
        ++over;
      } else {
        const auto k = std::upper_bound(edges.begin(), edges.end(), v) - edges.begin() - 1;
        ++expected[std::min<std::size_t>(static_cast<std::size_t>(k), bins - 1)];
      }
    }
    EXPECT_EQ(h["counts"].get<std::vector<long long>>(), expected) << bins << " bins";
    EXPECT_EQ(h["underflow"], under);
    EXPECT_EQ(h["overflow"], over);
    EXPECT_EQ(h["nan"], nans);
  }
}

TEST(histogram, writes_counts_and_edges_to_an_hdf5_file_once) {
  const weft::testing::dataset_folder folder;
  const auto input = folder.write("ramp.h5", {4, 8}, [](index_t i) { return double(i % 8); });
  const auto out = folder.file("hist.h5");
  const json params = {{"input", input}, {"bins", 8}, {"range", "0:8"}, {"output", out}};
  const auto rec = weft::testing::run_kernel("histogram", params);
  ASSERT_TRUE(rec.check.passed);
  if (world().rank() == 0) {
    weft::io::quiet_hdf5();
    const auto f = weft::io::open_file_serial(out);
    std::vector<long long> counts(8);
    std::vector<double> edges(9);
    const weft::io::dataset c(H5Dopen2(f.native_handle(), "/counts", H5P_DEFAULT));
    const weft::io::dataset e(H5Dopen2(f.native_handle(), "/edges", H5P_DEFAULT));
    H5Dread(c.native_handle(), H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, counts.data());
    H5Dread(e.native_handle(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, edges.data());
    EXPECT_EQ(counts, std::vector<long long>(8, 4));
    EXPECT_EQ(edges, (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
    EXPECT_EQ(f.read_string_attribute("software"), "weft");
  }
  world().barrier();
  EXPECT_THROW((void)weft::testing::run_kernel("histogram", params), weft::usage_error);
  json forced = params;
  forced["force"] = true;
  EXPECT_TRUE(weft::testing::run_kernel("histogram", forced).check.passed);
}

TEST(histogram, a_bad_range_is_a_usage_error) {
  for (const char* bad : {"1:0", "a:b", "1", "0:inf"}) {
    EXPECT_THROW(
        (void)weft::testing::run_kernel("histogram", {{"input", "x.h5:/v"}, {"range", bad}}),
        weft::usage_error)
        << bad;
  }
}

}  // namespace
