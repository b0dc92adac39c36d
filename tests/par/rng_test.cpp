#include "weft/par/rng.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace {

using weft::par::counter_rng;

TEST(counter_rng, philox_matches_the_random123_known_answers) {
  // kat_vectors of Random123 1.09 for philox4x32-10.
  EXPECT_EQ(counter_rng::philox({0, 0, 0, 0}, {0, 0}),
            (counter_rng::block{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  EXPECT_EQ(counter_rng::philox({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                                {0xffffffffu, 0xffffffffu}),
            (counter_rng::block{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  EXPECT_EQ(counter_rng::philox({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                                {0xa4093822u, 0x299f31d0u}),
            (counter_rng::block{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

TEST(counter_rng, is_a_standard_uniform_random_bit_generator) {
  static_assert(std::uniform_random_bit_generator<counter_rng>);
  counter_rng g(7);
  std::uniform_int_distribution<int> die(1, 6);
  std::set<int> seen;
  for (int i = 0; i < 200; ++i) seen.insert(die(g));
  EXPECT_EQ(seen.size(), 6u);
}

TEST(counter_rng, the_stream_object_draws_the_same_values_as_keyed_access) {
  counter_rng g(42, 3);
  for (std::uint64_t i = 0; i < 10; ++i) EXPECT_EQ(g.uniform(), counter_rng::uniform(42, i, 3));
  g.discard(5);
  EXPECT_EQ(g.position(), 15u);
  EXPECT_EQ(g(), counter_rng::bits(42, 15, 3));
  EXPECT_EQ(g.normal(), counter_rng::normal(42, 16, 3));
}

TEST(counter_rng, seeds_and_streams_give_different_values) {
  EXPECT_NE(counter_rng::bits(1, 0), counter_rng::bits(2, 0));
  EXPECT_NE(counter_rng::bits(1, 0, 0), counter_rng::bits(1, 0, 1));
  EXPECT_NE(counter_rng::bits(1, 0), counter_rng::bits(1, 1));
  EXPECT_NE(counter_rng::bits(1, std::uint64_t{1} << 32), counter_rng::bits(1, 0));
}

TEST(counter_rng, uniform_values_lie_in_the_unit_interval_with_the_right_moments) {
  const int n = 200000;
  double sum = 0, sum2 = 0, lo = 1, hi = 0;
  for (int i = 0; i < n; ++i) {
    const double u = counter_rng::uniform(11, static_cast<std::uint64_t>(i));
    sum += u;
    sum2 += u * u;
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  EXPECT_GE(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  const double mean = sum / n;
  const double var = sum2 / n - mean * mean;
  // Standard error of the mean is sqrt(1/12/n) ~ 6.5e-4: allow 6 of them.
  EXPECT_NEAR(mean, 0.5, 4e-3);
  EXPECT_NEAR(var, 1.0 / 12.0, 2e-3);
}

TEST(counter_rng, to_uniform_keeps_the_top_53_bits_exactly) {
  static_assert(counter_rng::join(0x89ABCDEFU, 0x01234567U) == 0x0123456789ABCDEFULL);
  static_assert(counter_rng::to_uniform(0) == 0.0);
  static_assert(counter_rng::to_uniform(std::uint64_t{1} << 11) == 0x1.0p-53);
  // The low 11 bits do not count; all ones is the largest double below 1.
  EXPECT_EQ(counter_rng::to_uniform((std::uint64_t{1} << 11) - 1), 0.0);
  EXPECT_EQ(counter_rng::to_uniform(~std::uint64_t{0}), 1.0 - 0x1.0p-53);
  EXPECT_EQ(counter_rng::to_uniform(std::uint64_t{1} << 63), 0.5);
  EXPECT_EQ(counter_rng::uniform(3, 4, 5), counter_rng::to_uniform(counter_rng::bits(3, 4, 5)));
}

TEST(counter_rng, normal_values_have_mean_zero_and_variance_one) {
  const int n = 200000;
  double sum = 0, sum2 = 0;
  int beyond3 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = counter_rng::normal(5, static_cast<std::uint64_t>(i));
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum2 += z * z;
    beyond3 += std::abs(z) > 3 ? 1 : 0;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.015);
  EXPECT_NEAR(sum2 / n, 1.0, 0.02);
  // P(|z| > 3) = 0.0027: expect about 540.
  EXPECT_GT(beyond3, 400);
  EXPECT_LT(beyond3, 700);
}

TEST(counter_rng, blocks_drawn_on_each_rank_join_into_the_serial_sequence) {
  const auto world = weft::testing::world();
  const std::uint64_t n = 1000;
  const auto p = static_cast<std::uint64_t>(world.size());
  const auto r = static_cast<std::uint64_t>(world.rank());
  const std::uint64_t begin = r * n / p, end = (r + 1) * n / p;
  std::vector<double> mine;
  for (std::uint64_t i = begin; i < end; ++i) mine.push_back(counter_rng::uniform(9, i));
  const auto all = world.allgatherv(std::span<const double>(mine));
  ASSERT_EQ(all.size(), n);
  counter_rng serial(9);
  for (std::uint64_t i = 0; i < n; ++i) EXPECT_EQ(all[i], serial.uniform()) << "index " << i;
}

}  // namespace

namespace {

// draw_blocks(first, count) against draw() block by block, for one implementation.
template <class Draw>
int uniform_mismatches(Draw draw_uniforms, std::uint64_t seed, std::uint64_t first,
                       std::size_t count, std::uint64_t stream) {
  std::array<std::vector<double>, 2> u;
  for (auto& v : u) v.assign(count, -1.0);
  draw_uniforms(seed, first, count, stream, {u[0].data(), u[1].data()});
  int wrong = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto b = counter_rng::draw(seed, first + i, stream);
    const double second = counter_rng::to_uniform(counter_rng::join(b[2], b[3]));
    wrong += u[0][i] == counter_rng::uniform(seed, first + i, stream) ? 0 : 1;
    wrong += u[1][i] == second ? 0 : 1;
  }
  return wrong;
}

template <class Draw>
int mismatches(Draw draw_blocks, std::uint64_t seed, std::uint64_t first, std::size_t count,
               std::uint64_t stream) {
  std::array<std::vector<std::uint32_t>, 4> w;
  for (auto& v : w) v.assign(count, 0);
  draw_blocks(seed, first, count, stream, {w[0].data(), w[1].data(), w[2].data(), w[3].data()});
  int wrong = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto b = counter_rng::draw(seed, first + i, stream);
    for (std::size_t k = 0; k < 4; ++k) wrong += w[k][i] == b[k] ? 0 : 1;
  }
  return wrong;
}

}  // namespace

// Counts that are and are not multiples of the 16- and 32-block groups, and first indices
// whose low word wraps inside a group (0xFFFFFFF8 + 16 crosses 2^32).
const std::vector<std::pair<std::uint64_t, std::size_t>> ranges = {{0, 1},
                                                                   {0, 16},
                                                                   {0, 32},
                                                                   {5, 1000},
                                                                   {0xFFFFFFF8ULL, 40},
                                                                   {0xFFFFFFF0ULL, 70},
                                                                   {0x1FFFFFFF0ULL, 33},
                                                                   {1ULL << 40, 17},
                                                                   {(1ULL << 40) + 3, 95}};

TEST(counter_rng, draw_blocks_has_the_bits_of_draw_in_every_implementation) {
  for (const auto& [first, count] : ranges) {
    for (const std::uint64_t stream : {0ULL, 1ULL, 0x123456789ULL}) {
      EXPECT_EQ(mismatches(weft::par::detail::draw_blocks_portable, 42, first, count, stream), 0);
      EXPECT_EQ(mismatches(counter_rng::draw_blocks, 0xDEADBEEFCAFEULL, first, count, stream), 0);
      if (weft::par::detail::avx2_available()) {
        EXPECT_EQ(mismatches(weft::par::detail::draw_blocks_avx2, 7, first, count, stream), 0)
            << "first " << first << " count " << count << " stream " << stream;
      }
      if (weft::par::detail::avx512_available()) {
        EXPECT_EQ(mismatches(weft::par::detail::draw_blocks_avx512, 7, first, count, stream), 0)
            << "first " << first << " count " << count << " stream " << stream;
      }
    }
  }
}

TEST(counter_rng, draw_uniforms_has_the_values_of_uniform_in_every_implementation) {
  for (const auto& [first, count] : ranges) {
    for (const std::uint64_t stream : {0ULL, 3ULL, 0x123456789ULL}) {
      EXPECT_EQ(
          uniform_mismatches(weft::par::detail::draw_uniforms_portable, 42, first, count, stream),
          0);
      EXPECT_EQ(
          uniform_mismatches(counter_rng::draw_uniforms, 0xDEADBEEFCAFEULL, first, count, stream),
          0);
      if (weft::par::detail::avx2_available()) {
        EXPECT_EQ(
            uniform_mismatches(weft::par::detail::draw_uniforms_avx2, 7, first, count, stream), 0)
            << "first " << first << " count " << count << " stream " << stream;
      }
      if (weft::par::detail::avx512_available()) {
        EXPECT_EQ(
            uniform_mismatches(weft::par::detail::draw_uniforms_avx512, 7, first, count, stream), 0)
            << "first " << first << " count " << count << " stream " << stream;
      }
    }
  }
}
