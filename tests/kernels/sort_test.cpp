#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "dense_test_support.hpp"
#include "kernel_support.hpp"
#include "weft/core/error.hpp"
#include "weft/par/rng.hpp"

namespace {

using weft::testing::run_kernel;
using weft::testing::world;

const std::vector<std::string> distributions = {"uniform",   "normal", "zipf",
                                                "all-equal", "sorted", "reverse"};

TEST(sort, every_distribution_and_key_type_sorts_and_stays_balanced) {
  for (const auto& dist : distributions) {
    for (const std::string type : {"f64", "i64", "u64"}) {
      const auto rec = run_kernel(
          "sort", {{"keys", 20011}, {"distribution", dist}, {"type", type}, {"iterations", 1}});
      EXPECT_TRUE(rec.check.passed) << dist << " " << type << ": " << rec.check.detail;
      const auto* balance = rec.find_metric("balance");
      ASSERT_NE(balance, nullptr);
      EXPECT_LE(balance->value, 1.05) << dist << " " << type;
    }
  }
}

TEST(sort, fewer_keys_than_ranks_and_no_keys_at_all_still_validate) {
  for (const long long n : {0LL, 1LL, 3LL}) {
    const auto rec = run_kernel("sort", {{"keys", n}, {"iterations", 1}});
    EXPECT_TRUE(rec.check.passed) << n << " keys: " << rec.check.detail;
  }
}

TEST(sort, reports_keys_per_second_and_bandwidth) {
  const auto rec = run_kernel("sort", {{"keys", 5000}, {"iterations", 2}});
  const auto* rate = rec.find_metric("keys_per_second");
  const auto* bandwidth = rec.find_metric("bandwidth");
  ASSERT_NE(rate, nullptr);
  ASSERT_NE(bandwidth, nullptr);
  EXPECT_GT(rate->value, 0);
  EXPECT_EQ(bandwidth->unit, "GB/s");
}

TEST(sort, keys_with_duplicates_from_hdf5_are_written_back_as_one_sorted_dataset) {
  const weft::testing::shared_scratch dir("weft-sort");
  const auto in = dir / "keys.h5";
  const auto out = dir / "sorted.h5";
  std::vector<std::int64_t> keys(1237);
  for (std::size_t k = 0; k < keys.size(); ++k) {
    keys[k] = static_cast<std::int64_t>(weft::par::counter_rng::bits(3, k) % 50) - 25;
  }
  if (world().rank() == 0) {
    weft::testing::write_serial(
        in, {{"/keys", {keys.size()}, H5T_STD_I64LE, H5T_NATIVE_INT64, keys.data()}});
  }
  world().barrier();

  const auto rec = run_kernel(
      "sort", {{"input", in + ":/keys"}, {"output", out + ":/sorted/keys"}, {"iterations", 1}});

  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  EXPECT_EQ(rec.extra["type"], "i64");
  if (world().rank() == 0) {
    auto expected = keys;
    std::sort(expected.begin(), expected.end());
    const auto got =
        weft::testing::read_serial<std::int64_t>(out, "/sorted/keys", H5T_NATIVE_INT64);
    EXPECT_EQ(got, expected);
  }
}

TEST(sort, nan_keys_in_an_input_file_are_bad_input_on_every_rank) {
  const weft::testing::shared_scratch dir("weft-sort-nan");
  const auto in = dir / "keys.h5";
  std::vector<double> keys(10, 1.0);
  keys[7] = std::numeric_limits<double>::quiet_NaN();
  if (world().rank() == 0) {
    weft::testing::write_serial(
        in, {{"/keys", {keys.size()}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, keys.data()}});
  }
  world().barrier();
  EXPECT_THROW((void)run_kernel("sort", {{"input", in + ":/keys"}}), weft::input_error);
}

}  // namespace
