#include "weft/par/exact_sum.hpp"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "weft/core/clones.hpp"
#include "weft/par/extraction.hpp"

namespace weft::par {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
__extension__ typedef unsigned __int128 u128;  // GCC's and Clang's 128-bit integer
// Weight of limb 0's lowest bit: a multiple of 32 at or below 2^-1074, the lowest bit of
// any double.
constexpr int base_exponent = -1088;
constexpr std::int64_t digit_mask = (std::int64_t{1} << 32) - 1;
// Values per block of the vectorised path, and the bits of headroom that count needs in
// each accumulator: 2^m > 4 * block.
constexpr std::size_t block = 2048;
constexpr int headroom = 14;
// Bits between the grids of two levels: an accumulator's remainders are below half its
// grid, 2^-53 sigma, and the next level's sigma leaves 2^m of room for block of them.
constexpr int level_step = 53 - headroom;
constexpr int max_levels = 4;
// Accumulators per level: independent vector lanes.
constexpr int lanes = 8;

using detail::deposit;
using detail::tie_free;

struct identity {
  [[gnu::always_inline]] double operator()(double v) const { return v; }
};

struct squared_deviation {
  double c;
  [[gnu::always_inline]] double operator()(double v) const {
    const double d = v - c;
    return d * d;
  }
};

// Pass 1 over a block: the largest magnitude of f(x), the smallest nonzero one, and
// whether every f(x) is finite (v * 0 is 0 exactly for finite v, NaN otherwise).
template <class F>
[[gnu::always_inline]] inline bool bounds(const double* __restrict x, std::size_t n, F f,
                                          double& big, double& small) {
  double hi = 0;
  double lo = inf;
  double probe = 0;
#pragma omp simd reduction(max : hi) reduction(min : lo) reduction(+ : probe)
  for (std::size_t i = 0; i < n; ++i) {
    const double v = std::abs(f(x[i]));
    hi = std::max(hi, v);
    lo = std::min(lo, v == 0 ? inf : v);
    probe += v * 0.0;
  }
  big = hi;
  small = lo;
  return probe == 0;
}

// Pass 2 over a block: f(x) split exactly into Levels parts on the grids of sigma[0..].
template <int Levels, class F>
[[gnu::always_inline]] inline void extract(const double* __restrict x, std::size_t n, F f,
                                           const double (&sigma)[max_levels],
                                           double (&part)[max_levels]) {
  double start[Levels];
  double acc[Levels][lanes];
  for (int l = 0; l < Levels; ++l) {
    start[l] = 1.5 * sigma[l];
    std::fill_n(acc[l], lanes, start[l]);
  }
  const auto step = [&](double v, int j) {
    double w = f(v);
    for (int l = 0; l + 1 < Levels; ++l) w = deposit(acc[l][j], w);
    acc[Levels - 1][j] += tie_free(w);
  };
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
#pragma omp simd
    for (int j = 0; j < lanes; ++j) step(x[i + j], j);
  }
  for (int j = 0; i < n; ++i, ++j) step(x[i], j);
  for (int l = 0; l < Levels; ++l) {
    double got = 0;
    for (const double a : acc[l]) got += a - start[l];  // exact: see the header
    part[l] = got;
  }
}

// The grids for a block whose |f(x)| lie in [small, big] (small > 0): how many levels
// cover every bit of every value, and their sigmas. 0 levels when the block must be
// added value by value (too wide a range, or too near the ends of the double range).
int plan(double big, double small, double (&sigma)[max_levels]) {
  int big_exp = 0;
  int small_exp = 0;
  (void)std::frexp(big, &big_exp);      // big < 2^big_exp
  (void)std::frexp(small, &small_exp);  // small >= 2^(small_exp - 1)
  const int top = headroom + big_exp;   // sigma_0 = 2^top
  // The lowest bit any value can hold, and how many levels reach down to it: level l's
  // grid is 2^(top - l * level_step - 52).
  const int low = std::max(small_exp - 53, -1074);
  const int span = top - 52 - low;
  const int levels = span <= 0 ? 1 : 1 + (span + level_step - 1) / level_step;
  if (levels > max_levels || top > 1020 || top - (levels - 1) * level_step < -1020) return 0;
  for (int l = 0; l < levels; ++l) sigma[l] = std::ldexp(1.0, top - l * level_step);
  return levels;
}

template <class F>
[[gnu::always_inline]] inline void add_blocks(exact_sum& s, const double* x, std::size_t n, F f) {
  for (std::size_t b = 0; b < n; b += block) {
    const double* xb = x + b;
    const std::size_t m = std::min(block, n - b);
    double big = 0;
    double small = 0;
    double sigma[max_levels] = {};
    double part[max_levels] = {};
    const bool finite = bounds(xb, m, f, big, small);
    if (finite && big == 0) continue;
    const int levels = finite ? plan(big, small, sigma) : 0;
    switch (levels) {
      case 1:
        extract<1>(xb, m, f, sigma, part);
        break;
      case 2:
        extract<2>(xb, m, f, sigma, part);
        break;
      case 3:
        extract<3>(xb, m, f, sigma, part);
        break;
      case 4:
        extract<4>(xb, m, f, sigma, part);
        break;
      default:
        for (std::size_t i = 0; i < m; ++i) s.add(f(xb[i]));
        continue;
    }
    for (int l = 0; l < levels; ++l) s.add(part[l]);
  }
}

// Built for AVX2 too, picked at run time when the CPU has it (the parts are exact, so the
// bits do not depend on it).
WEFT_SIMD_CLONES void add_values(exact_sum& s, const double* x, std::size_t n) {
  add_blocks(s, x, n, identity{});
}

WEFT_SIMD_CLONES void add_deviations(exact_sum& s, const double* x, std::size_t n, double c) {
  add_blocks(s, x, n, squared_deviation{c});
}

// Runs add(sum, piece) over x on the OpenMP threads of this rank (one inside a parallel
// region) and merges the threads' sums.
template <class Add>
exact_sum over_threads(std::span<const double> x, Add add) {
  const int threads = omp_in_parallel() != 0 ? 1 : omp_get_max_threads();
  if (threads == 1 || x.size() < 2 * block) {
    exact_sum s;
    add(s, x);
    return s;
  }
  std::vector<exact_sum> mine(static_cast<std::size_t>(threads));
#pragma omp parallel num_threads(threads) default(none) shared(x, add, mine)
  {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    const auto nt = static_cast<std::size_t>(omp_get_num_threads());
    const std::size_t begin = x.size() * t / nt;
    const std::size_t end = x.size() * (t + 1) / nt;
    add(mine[t], x.subspan(begin, end - begin));
  }
  exact_sum total;
  for (const exact_sum& s : mine) total += s;
  return total;
}

}  // namespace

void exact_sum::add_nonfinite(double x) noexcept {
  if (std::isnan(x)) {
    ++nan_;
  } else if (x > 0) {
    ++pos_inf_;
  } else {
    ++neg_inf_;
  }
}

void exact_sum::add(double x) noexcept {
  if (!std::isfinite(x)) {
    add_nonfinite(x);
    return;
  }
  if (x == 0) return;
  const auto bits = std::bit_cast<std::uint64_t>(x);
  const auto biased = static_cast<int>((bits >> 52) & 0x7ff);
  std::uint64_t mantissa = bits & ((std::uint64_t{1} << 52) - 1);
  int exponent = -1074;  // x = +-mantissa * 2^exponent
  if (biased != 0) {
    mantissa |= std::uint64_t{1} << 52;
    exponent = biased - 1075;
  }
  const int position = exponent - base_exponent;
  const int index = position / 32;
  const auto wide = static_cast<u128>(mantissa) << (position % 32);
  const auto d0 = static_cast<std::int64_t>(static_cast<std::uint64_t>(wide) & digit_mask);
  const auto d1 = static_cast<std::int64_t>(static_cast<std::uint64_t>(wide >> 32) & digit_mask);
  const auto d2 = static_cast<std::int64_t>(static_cast<std::uint64_t>(wide >> 64));
  const auto at = static_cast<std::size_t>(index);
  if (x > 0) {
    limb_[at] += d0;
    limb_[at + 1] += d1;
    limb_[at + 2] += d2;
  } else {
    limb_[at] -= d0;
    limb_[at + 1] -= d1;
    limb_[at + 2] -= d2;
  }
  // Each addition moves a limb by less than 2^32: carry before 2^62 could be reached.
  if (++pending_ >= (std::int64_t{1} << 29)) normalize();
}

void exact_sum::add(std::span<const double> x) noexcept {
  add_values(*this, x.data(), x.size());
}

void exact_sum::add_squared_deviations(std::span<const double> x, double c) noexcept {
  add_deviations(*this, x.data(), x.size(), c);
}

void exact_sum::normalize() noexcept {
  for (std::size_t i = 0; i + 1 < limb_.size(); ++i) {
    const std::int64_t carry = limb_[i] >> 32;  // floor division by 2^32
    limb_[i] -= carry * (std::int64_t{1} << 32);
    limb_[i + 1] += carry;
  }
  pending_ = 0;
}

exact_sum& exact_sum::operator+=(const exact_sum& other) noexcept {
  exact_sum o = other;
  o.normalize();
  normalize();
  for (std::size_t i = 0; i < limb_.size(); ++i) limb_[i] += o.limb_[i];
  pending_ = 1;
  nan_ += o.nan_;
  pos_inf_ += o.pos_inf_;
  neg_inf_ += o.neg_inf_;
  return *this;
}

void exact_sum::allreduce(const comm_ref& c) {
  normalize();
  std::array<std::int64_t, limbs + 3> all{};
  std::copy(limb_.begin(), limb_.end(), all.begin());
  all[limbs] = nan_;
  all[limbs + 1] = pos_inf_;
  all[limbs + 2] = neg_inf_;
  c.allreduce(std::span<std::int64_t>(all), op::sum);
  std::copy_n(all.begin(), limbs, limb_.begin());
  nan_ = all[limbs];
  pos_inf_ = all[limbs + 1];
  neg_inf_ = all[limbs + 2];
  normalize();
}

bool exact_sum::operator==(const exact_sum& other) const noexcept {
  exact_sum a = *this;
  exact_sum b = other;
  a.normalize();
  b.normalize();
  return a.limb_ == b.limb_ && a.nan_ == b.nan_ && a.pos_inf_ == b.pos_inf_ &&
         a.neg_inf_ == b.neg_inf_;
}

double exact_sum::value() const noexcept {
  if (nan_ > 0 || (pos_inf_ > 0 && neg_inf_ > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (pos_inf_ > 0) return inf;
  if (neg_inf_ > 0) return -inf;
  exact_sum s = *this;
  s.normalize();
  // Normalized, every limb but the top one is in [0, 2^32): the sign is the top limb's.
  const bool negative = s.limb_.back() < 0;
  if (negative) {
    for (auto& l : s.limb_) l = -l;
    s.normalize();
  }
  int high = limbs - 1;
  while (high >= 0 && s.limb_[static_cast<std::size_t>(high)] == 0) --high;
  if (high < 0) return 0.0;
  // The top three limbs hold at least 65 significant bits; the rest only decide the
  // rounding, as a sticky bit in the lowest place.
  const auto digit = [&](int i) {
    return i < 0 ? std::uint64_t{0}
                 : static_cast<std::uint64_t>(s.limb_[static_cast<std::size_t>(i)]);
  };
  auto top = (static_cast<u128>(digit(high)) << 64) | (static_cast<u128>(digit(high - 1)) << 32) |
             digit(high - 2);
  bool sticky = false;
  for (int i = 0; i < high - 2; ++i) sticky = sticky || s.limb_[static_cast<std::size_t>(i)] != 0;
  if (sticky) top |= 1U;
  // The conversion rounds to nearest; the scaling is exact, except past the double range
  // (inf) and below 2^-1022, where the sum is exact in fewer than 53 bits anyway.
  const double magnitude = std::ldexp(static_cast<double>(top), 32 * (high - 2) + base_exponent);
  return negative ? -magnitude : magnitude;
}

double reproducible_sum(const comm_ref& c, std::span<const double> x) {
  exact_sum s =
      over_threads(x, [](exact_sum& mine, std::span<const double> piece) { mine.add(piece); });
  s.allreduce(c);
  return s.value();
}

moments reproducible_moments(const comm_ref& c, std::span<const double> x) {
  moments m;
  m.count = c.allreduce(static_cast<long long>(x.size()), op::sum);
  exact_sum total =
      over_threads(x, [](exact_sum& mine, std::span<const double> piece) { mine.add(piece); });
  total.allreduce(c);
  m.sum = total.value();
  if (m.count == 0) {
    m.mean = m.variance = std::numeric_limits<double>::quiet_NaN();
    return m;
  }
  const auto n = static_cast<double>(m.count);
  m.mean = m.sum / n;
  const double mean = m.mean;
  exact_sum dev = over_threads(x, [mean](exact_sum& mine, std::span<const double> piece) {
    mine.add_squared_deviations(piece, mean);
  });
  dev.allreduce(c);
  // sum (x - mean)^2 = M2 + count (exact mean - mean)^2; the residual
  // sum - count * mean is exact (count * mean split by an FMA).
  exact_sum residual = total;
  const double product = n * mean;
  residual.add(-product);
  residual.add(-std::fma(n, mean, -product));
  const double r = residual.value();
  const double m2 = dev.value();
  // NaN stays NaN (std::max would turn it into 0).
  m.variance = std::isnan(m2) ? m2 : std::max(0.0, m2 - r * r / n) / n;
  return m;
}

}  // namespace weft::par
