#include "weft/par/exact_sum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include "test_support.hpp"

namespace {

using weft::par::exact_sum;
__extension__ typedef __int128 i128;

double sum_of(std::initializer_list<double> values) {
  exact_sum s;
  for (const double v : values) s.add(v);
  return s.value();
}

std::uint64_t bits(double v) {
  return std::bit_cast<std::uint64_t>(v);
}

// Values with a chosen spread of magnitudes: normal deviates scaled by 2^k, k uniform in
// [-spread, spread], around `centre`.
std::vector<double> spread_values(std::size_t n, int spread, double centre, unsigned seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int> exponent(-spread, spread);
  std::vector<double> x(n);
  for (auto& v : x) v = centre + std::ldexp(normal(g), exponent(g));
  return x;
}

TEST(exact_sum, is_exact_and_rounds_once) {
  EXPECT_EQ(sum_of({1e16, 1.0, -1e16}), 1.0);
  EXPECT_EQ(sum_of({1.0, std::ldexp(1.0, -53)}), 1.0);  // a tie: to even
  EXPECT_EQ(sum_of({1.0, std::ldexp(1.0, -53), std::ldexp(1.0, -200)}),
            1.0 + std::ldexp(1.0, -52));  // just past the tie
  EXPECT_EQ(sum_of({1.0, -std::ldexp(1.0, -54), -std::ldexp(1.0, -300)}),
            1.0 - std::ldexp(1.0, -53));
  EXPECT_EQ(sum_of({0.1, 0.2, -0.3}), std::ldexp(1.0, -55));  // the doubles 0.1 + 0.2 - 0.3
  const double big = std::numeric_limits<double>::max();
  EXPECT_EQ(sum_of({big, big, -big}), big);  // past the range on the way, exact anyway
  EXPECT_EQ(sum_of({big, big}), std::numeric_limits<double>::infinity());
  EXPECT_EQ(sum_of({-big, -big}), -std::numeric_limits<double>::infinity());
  const double tiny = std::numeric_limits<double>::denorm_min();
  EXPECT_EQ(sum_of({tiny, tiny, tiny}), 3 * tiny);
  EXPECT_EQ(sum_of({}), 0.0);
  EXPECT_EQ(sum_of({-0.0}), 0.0);
}

TEST(exact_sum, counts_nan_and_infinities_as_ieee_arithmetic_would) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(std::isnan(sum_of({1.0, std::nan(""), 2.0})));
  EXPECT_EQ(sum_of({1.0, inf, 2.0}), inf);
  EXPECT_EQ(sum_of({1.0, -inf}), -inf);
  EXPECT_TRUE(std::isnan(sum_of({inf, -inf})));
}

TEST(exact_sum, matches_integer_arithmetic_correctly_rounded) {
  // Multiples of 2^-20 of up to 2^60: their exact sum is an integer sum, which the
  // conversion of __int128 rounds correctly.
  std::mt19937_64 g(11);
  std::uniform_int_distribution<std::int64_t> digits(-(std::int64_t{1} << 60),
                                                     std::int64_t{1} << 60);
  std::vector<double> x(100000);
  i128 total = 0;
  for (auto& v : x) {
    const std::int64_t k = digits(g) >> (g() % 60);
    v = std::ldexp(static_cast<double>(k), -20);
    total += static_cast<i128>(std::ldexp(v, 20));  // v itself, rounded to 53 bits
  }
  exact_sum s;
  s.add(std::span<const double>(x));
  EXPECT_EQ(bits(s.value()), bits(std::ldexp(static_cast<double>(total), -20)));
}

TEST(exact_sum, the_vectorised_path_equals_value_by_value_addition) {
  const double inf = std::numeric_limits<double>::infinity();
  // From one level of extraction to the value-by-value fallback, and the range's ends.
  for (const int spread : {0, 8, 30, 60, 200, 900}) {
    for (const double centre : {0.0, 1e6, -3.5e-7}) {
      auto x = spread_values(10007, spread, centre, static_cast<unsigned>(spread) + 1);
      exact_sum fast;
      exact_sum slow;
      fast.add(std::span<const double>(x));
      for (const double v : x) slow.add(v);
      EXPECT_TRUE(fast == slow) << "spread 2^" << spread << " centre " << centre;
      EXPECT_EQ(bits(fast.value()), bits(slow.value()));
    }
  }
  std::vector<double> ends = {std::numeric_limits<double>::max() / 3,    1e300,  -1e300,
                              std::numeric_limits<double>::denorm_min(), 1e-310, -4e-320};
  ends.resize(5000, 1e-305);
  exact_sum fast;
  exact_sum slow;
  fast.add(std::span<const double>(ends));
  for (const double v : ends) slow.add(v);
  EXPECT_TRUE(fast == slow);
  std::vector<double> bad(3000, 1.0);
  bad[1500] = inf;
  bad[2999] = std::nan("");
  exact_sum b;
  b.add(std::span<const double>(bad));
  EXPECT_TRUE(std::isnan(b.value()));
}

TEST(exact_sum, any_order_and_any_split_give_the_same_bits) {
  auto x = spread_values(50000, 40, 2.0, 5);
  exact_sum whole;
  whole.add(std::span<const double>(x));
  std::mt19937_64 g(9);
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(x.begin(), x.end(), g);
    exact_sum merged;
    std::size_t at = 0;
    while (at < x.size()) {
      const std::size_t piece = std::min<std::size_t>(x.size() - at, 1 + g() % 7000);
      exact_sum part;
      part.add(std::span<const double>(x).subspan(at, piece));
      merged += part;
      at += piece;
    }
    EXPECT_EQ(bits(merged.value()), bits(whole.value()));
  }
}

// The same global values split unevenly among the ranks: the same bits as one process
// summing them all.
TEST(reproducible_sum, the_same_bits_on_any_number_of_ranks_and_threads) {
  const auto world = weft::testing::world();
  const auto x = spread_values(300001, 30, -1.25, 3);
  const auto r = static_cast<std::size_t>(world.rank());
  const auto p = static_cast<std::size_t>(world.size());
  // Rank k holds a share proportional to k + 1.
  const std::size_t weight = p * (p + 1) / 2;
  const std::size_t begin = x.size() * (r * (r + 1) / 2) / weight;
  const std::size_t end = x.size() * ((r + 1) * (r + 2) / 2) / weight;
  const std::span<const double> mine(x.data() + begin, end - begin);

  exact_sum one;
  one.add(std::span<const double>(x));
  const double got = weft::par::reproducible_sum(world, mine);
  EXPECT_EQ(bits(got), bits(one.value()));

  const auto m = weft::par::reproducible_moments(world, mine);
  const auto all = weft::par::reproducible_moments(weft::comm_ref(MPI_COMM_SELF), x);
  EXPECT_EQ(m.count, static_cast<long long>(x.size()));
  EXPECT_EQ(bits(m.sum), bits(all.sum));
  EXPECT_EQ(bits(m.mean), bits(all.mean));
  EXPECT_EQ(bits(m.variance), bits(all.variance));
  // Against a two-pass reference in long double.
  long double s = 0;
  for (const double v : x) s += v;
  const long double mean = s / static_cast<long double>(x.size());
  long double m2 = 0;
  for (const double v : x) m2 += (v - mean) * (v - mean);
  const auto variance = static_cast<double>(m2 / static_cast<long double>(x.size()));
  EXPECT_NEAR(m.mean, static_cast<double>(mean), 1e-12 * std::abs(static_cast<double>(mean)));
  EXPECT_NEAR(m.variance, variance, 1e-12 * variance);
}

TEST(reproducible_moments, of_nothing_and_of_a_constant) {
  const auto world = weft::testing::world();
  const auto none = weft::par::reproducible_moments(world, {});
  EXPECT_EQ(none.count, 0);
  EXPECT_TRUE(std::isnan(none.mean));
  const std::vector<double> same(1000, 0.1);
  const auto m = weft::par::reproducible_moments(world, same);
  EXPECT_EQ(m.count, 1000LL * world.size());
  EXPECT_EQ(m.mean, 0.1);
  EXPECT_EQ(m.variance, 0.0);
}

}  // namespace
