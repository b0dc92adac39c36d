#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "dataset_fixture.hpp"
#include "kernel_support.hpp"
#include "weft/core/error.hpp"
#include "weft/par/rng.hpp"

namespace {

using weft::index_t;
using weft::json;
using weft::testing::world;

// Mixed magnitudes and signs, with a NaN and two infinities.
double mixed(index_t i) {
  if (i == 17) return std::numeric_limits<double>::quiet_NaN();
  if (i == 100) return std::numeric_limits<double>::infinity();
  if (i == 101) return -std::numeric_limits<double>::infinity();
  const auto k = static_cast<std::uint64_t>(i);
  const double u = weft::par::counter_rng::uniform(3, k) - 0.5;
  const int e = static_cast<int>(weft::par::counter_rng::bits(4, k) % 10) - 3;
  return u * std::pow(10.0, e);
}

double ulp(double x) {
  const double a = std::abs(x);
  return std::nextafter(a, std::numeric_limits<double>::infinity()) - a;
}

// The record's extra part: statistics, how the data was read and the file opened.
json extra_of(const weft::comm_ref& c, const std::string& input, double slab_mib) {
  const auto* k = weft::kernels::find("reduce");
  const weft::kernels::arguments args(
      json{{"input", input}, {"slab-mib", slab_mib}, {"skip-fill", false}});
  const auto rec = k->run(weft::kernels::context{c, args});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail << rec.extra.dump();
  return rec.extra;
}

json statistics_of(const weft::comm_ref& c, const std::string& input, double slab_mib) {
  return extra_of(c, input, slab_mib)["statistics"];
}

// The figures a reader compares exactly: everything but timings and the layout.
json exact_part(json s) {
  s.erase("io_mode");
  return s;
}

// Runs reduce on `input` with every rank and thread of the test, and on rank 0 alone with
// one thread, and expects the same figures bit for bit. Returns the parallel run's extra
// part (its figures are under "statistics").
json expect_same_bits_as_one_serial_rank(const std::string& input, double slab_mib) {
  json parallel = extra_of(world(), input, slab_mib);
  if (world().rank() == 0) {
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const weft::comm_ref self(MPI_COMM_SELF);
    const json serial = statistics_of(self, input, slab_mib);
    omp_set_num_threads(threads);
    EXPECT_EQ(exact_part(parallel["statistics"]).dump(), exact_part(serial).dump());
  }
  return parallel;
}

// The sum of f over [0, n) in __float128, finite values only.
template <class F>
__float128 reference_sum(index_t n, F f) {
  __float128 sum = 0;
  for (index_t i = 0; i < n; ++i) {
    if (std::isfinite(f(i))) sum += f(i);
  }
  return sum;
}

TEST(reduce, gives_the_same_bits_on_every_rank_and_thread_count_as_one_serial_rank) {
  const weft::testing::dataset_folder folder;
  const auto input = folder.write("mixed.h5", {517, 33}, mixed);
  const json parallel = expect_same_bits_as_one_serial_rank(input, 0.02);  // several slabs
  EXPECT_GT(parallel["statistics"]["slabs"].get<int>(), 3);
  // Contiguous native doubles: the file is mapped, every thread brings in its own pieces,
  // and no rank opened it with MPI-IO.
  EXPECT_EQ(parallel["statistics"]["io_mode"], "independent");
  EXPECT_EQ(parallel["read"], "direct");
  EXPECT_EQ(parallel["file_driver"], "sec2");
  // Through HDF5 (collective reads, the file opened with MPI-IO), the same bits.
  const weft::testing::scoped_env no_mapping("WEFT_DIRECT_READ", "off");
  const json through_hdf5 = extra_of(world(), input, 0.02);
  EXPECT_EQ(through_hdf5["read"], "hdf5");
  EXPECT_EQ(through_hdf5["file_driver"], "mpio");
  EXPECT_EQ(through_hdf5["statistics"]["io_mode"], "collective");
  EXPECT_EQ(exact_part(through_hdf5["statistics"]).dump(),
            exact_part(parallel["statistics"]).dump());
}

// Large values that cancel, and small ones on and half-way between the points of the
// last extraction level's grid (2^-106 for these slabs: 2607 elements, largest magnitude
// 1000), so the sum is decided by how those round. That must not depend on what an
// accumulator already holds (round-half-to-even would: the odd points on the grid change
// its parity), or the bits would change with the split.
double ties(index_t i) {
  if (i % 3 == 0) return 1000.0;
  if (i % 3 == 1) return -1000.0;
  const double odd = static_cast<double>(2 * (i % 50) + 1);
  const int e = i % 5 < 2 ? -107 : -106;  // half-way, or on the grid (not per lane)
  return (i % 7 < 4 ? 1.0 : -1.0) * odd * std::ldexp(1.0, e);
}

TEST(reduce, values_half_way_between_grid_points_give_the_same_bits_at_every_split) {
  const weft::testing::dataset_folder folder;
  const auto input = folder.write("ties.h5", {517, 33}, ties);
  const json s = expect_same_bits_as_one_serial_rank(input, 0.02)["statistics"];
  EXPECT_NE(s["sum"].get<double>(), 0.0);
  EXPECT_LT(std::abs(s["sum"].get<double>()), 1e-25);
}

// Values near either end of the double range: the extraction scales them by a power of
// two first, and a sum of |x| that overflows sends every block through the checked pass.
TEST(reduce, values_near_the_ends_of_the_double_range_sum_exactly_at_every_split) {
  for (const int scale : {990, -950}) {
    const auto f = [scale](index_t i) { return std::ldexp(mixed(i), scale); };
    const weft::testing::dataset_folder folder;
    const auto input = folder.write("range.h5", {301, 17}, f);
    const json s = expect_same_bits_as_one_serial_rank(input, 0.01)["statistics"];
    const auto ref = static_cast<double>(reference_sum(301 * 17, f));
    EXPECT_LE(std::abs(s["sum"].get<double>() - ref), 4 * ulp(ref)) << "scale 2^" << scale;
    EXPECT_EQ(s["nan"].get<long long>(), 1);
    EXPECT_EQ(s["inf"].get<long long>(), 2);
    if (scale > 0) {
      // The variance (about 2^1980) is past the double range.
      EXPECT_EQ(s["variance_bits"], "7ff0000000000000");  // +inf (JSON writes inf and NaN as null)
    }
  }
}

TEST(reduce, an_all_zero_dataset_has_zero_sum_and_variance) {
  const weft::testing::dataset_folder folder;
  const auto input = folder.write("zero.h5", {41, 7}, [](index_t) { return 0.0; });
  const json s = statistics_of(world(), input, 0.001);
  EXPECT_EQ(s["sum_bits"], "0000000000000000");
  EXPECT_EQ(s["variance_bits"], "0000000000000000");
  EXPECT_EQ(s["count"].get<long long>(), 41 * 7);
}

TEST(reduce, agrees_with_a_float128_reference_to_the_last_ulps) {
  const weft::testing::dataset_folder folder;
  const auto input = folder.write("mixed.h5", {517, 33}, mixed);
  const json s = statistics_of(world(), input, 0.05);
  __float128 sum = 0;
  long long n = 0;
  double mn = 1e300, mx = -1e300;
  long long mni = -1, mxi = -1;
  for (index_t i = 0; i < 517 * 33; ++i) {
    const double v = mixed(i);
    if (!std::isfinite(v)) continue;
    sum += v;
    ++n;
    if (v < mn) mn = v, mni = i;
    if (v > mx) mx = v, mxi = i;
  }
  const __float128 mean = sum / n;
  __float128 m2 = 0;
  for (index_t i = 0; i < 517 * 33; ++i) {
    const double v = mixed(i);
    if (std::isfinite(v)) m2 += (v - mean) * (v - mean);
  }
  const double ref_sum = static_cast<double>(sum);
  const double ref_var = static_cast<double>(m2 / n);
  EXPECT_EQ(s["count"].get<long long>(), n);
  EXPECT_EQ(s["nan"].get<long long>(), 1);
  EXPECT_EQ(s["inf"].get<long long>(), 2);
  EXPECT_LE(std::abs(s["sum"].get<double>() - ref_sum), 4 * ulp(ref_sum));
  EXPECT_NEAR(s["variance"].get<double>(), ref_var, 1e-13 * ref_var);
  EXPECT_EQ(s["min"].get<double>(), mn);
  EXPECT_EQ(s["max"].get<double>(), mx);
  EXPECT_EQ(s["min_index"], json({mni / 33, mni % 33}));
  EXPECT_EQ(s["max_index"], json({mxi / 33, mxi % 33}));
}

TEST(reduce, the_index_of_an_extreme_held_many_times_is_its_first_across_slabs_and_blocks) {
  // Slabs of about 8192 elements (0.0625 MiB), scan blocks of 1024: the minimum -7 sits
  // in slabs 1 and 3 (first at 9000, again at 9001, in the next block and in a later
  // slab); the maximum rises with the index but stays 5 from 20000 on, so each slab up
  // to the third holds a new maximum, and the first 5 is at 20000. Any rank and thread
  // count.
  const weft::testing::dataset_folder folder;
  const auto input = folder.write("repeats.h5", {3000, 10}, [](index_t i) {
    if (i == 9000 || i == 9001 || i == 10300 || i == 25000) return -7.0;
    return std::min(5.0, 1e-4 * static_cast<double>(i) + 3.0);
  });
  const json s = expect_same_bits_as_one_serial_rank(input, 0.0625)["statistics"];
  EXPECT_EQ(s["min"].get<double>(), -7.0);
  EXPECT_EQ(s["min_index"], json({900, 0}));
  EXPECT_EQ(s["max"].get<double>(), 5.0);
  EXPECT_EQ(s["max_index"], json({2000, 0}));
}

TEST(reduce, cancelling_terms_of_very_different_size_sum_exactly) {
  // 1e16 + 1 - 1e16 + ... : a plain double sum loses every 1.
  const weft::testing::dataset_folder folder;
  const auto input = folder.write("cancel.h5", {300, 3}, [](index_t i) {
    return i % 3 == 0 ? 1e16 : (i % 3 == 1 ? 1.0 : -1e16);
  });
  const json s = statistics_of(world(), input, 0.001);
  EXPECT_EQ(s["sum"].get<double>(), 300.0);
  EXPECT_EQ(s["mean"].get<double>(), 300.0 / 900.0);
}

TEST(reduce, a_constant_dataset_has_its_value_as_mean_and_zero_variance) {
  const weft::testing::dataset_folder folder;
  const auto input = folder.write("constant.h5", {41, 7}, [](index_t) { return 0.1; });
  const json s = statistics_of(world(), input, 0.001);
  EXPECT_EQ(s["mean"].get<double>(), 0.1);
  EXPECT_EQ(s["variance"].get<double>(), 0.0);
  EXPECT_EQ(s["min_index"], json({0, 0}));
  EXPECT_EQ(s["max_index"], json({0, 0}));
}

TEST(reduce, a_missing_input_is_a_collective_input_error) {
  try {
    (void)weft::testing::run_kernel("reduce", {{"input", "/no/such/file.h5:/x"}});
    ADD_FAILURE() << "no error";
  } catch (const weft::input_error& e) {
    EXPECT_TRUE(e.collective());
    EXPECT_NE(std::string(e.what()).find("/no/such/file.h5:/x: no such file"), std::string::npos)
        << e.what();
  }
}

TEST(reduce, a_malformed_input_is_a_collective_usage_error) {
  EXPECT_THROW((void)weft::testing::run_kernel("reduce", {{"input", "data.h5"}}),
               weft::usage_error);
}

}  // namespace
