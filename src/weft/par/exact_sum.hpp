// Exact, reproducible sums: the same bits on any number of ranks and threads, in any
// order, for any split of the data.
//
// exact_sum keeps the sum of every double added to it exactly, in a long accumulator
// (Kulisch's: 72 signed 64-bit limbs of 32 bits each, covering every double's bits with
// room for 2^62 additions), and rounds it once, to nearest, when read. Because nothing is
// rounded before that, merging partial sums in any order gives the same bits: per thread,
// per rank (allreduce), per block of a stream.
//
// Adding a span is vectorised and runs near the speed of a plain sum: in blocks of 2048
// values, a first pass finds the block's largest and smallest magnitudes, and a second
// splits every value exactly into 2 to 4 parts on grids chosen from them (error-free
// extraction after Rump, Ogita and Oishi, in the accumulator form of Demmel and Nguyen:
// an accumulator started at 1.5 sigma stays in [sigma, 2 sigma), so adding a value rounds
// it onto ulp(sigma)'s grid, and the change and the remainder are both exact; the value's
// lowest bit is set first so that it never meets a tie). A block's parts go into the long
// accumulator. A block whose values span more than about 2^100 in magnitude, or whose
// values lie near the ends of the double range, is added value by value instead (exact
// too, several times slower). Cost against a plain sum: docs/patterns.md#exact-sums.
//
// NaN and infinities are counted, not added: the sum is NaN when any value was NaN or
// when both infinities were added, otherwise the infinity that was added, as IEEE
// arithmetic gives.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "weft/core/comm.hpp"

namespace weft::par {

class exact_sum {
 public:
  static constexpr int limbs = 72;

  exact_sum() = default;

  // Adds one value (exactly).
  void add(double x) noexcept;
  // Adds every value of x (exactly; this thread only, vectorised).
  void add(std::span<const double> x) noexcept;
  // Adds (x[i] - c)^2 for every i: each square is rounded once, as written, and the sum
  // of the rounded squares is exact. Variances use it.
  void add_squared_deviations(std::span<const double> x, double c) noexcept;

  // Merges another partial sum (exact, so the order of merges does not matter).
  exact_sum& operator+=(const exact_sum& other) noexcept;

  // Collective over c: every rank ends up holding the sum over all ranks.
  void allreduce(const comm_ref& c);

  // The sum rounded to the nearest double (ties to even); +-inf past the double range.
  [[nodiscard]] double value() const noexcept;

  [[nodiscard]] bool operator==(const exact_sum& other) const noexcept;

 private:
  void normalize() noexcept;
  void add_nonfinite(double x) noexcept;

  // limb_[i] holds digits of weight 2^(32 i + base); only normalize() carries.
  std::array<std::int64_t, limbs> limb_{};
  std::int64_t pending_ = 0;  // additions since the last normalize()
  std::int64_t nan_ = 0, pos_inf_ = 0, neg_inf_ = 0;
};

// Collective over c: the exact sum of every rank's x, added by the OpenMP threads of each
// rank (one thread inside a parallel region), rounded once. The same bits for any number
// of ranks and threads and any split of the values among them.
[[nodiscard]] double reproducible_sum(const comm_ref& c, std::span<const double> x);

// Count, sum, mean and population variance of every rank's x, reproducible likewise.
// sum is exact (rounded once); mean = sum / count; variance is the exact sum of
// (x - mean)^2 (each square rounded once) corrected by the exact residual
// sum - count * mean, over count. Two passes over x. With no values, mean and variance
// are NaN; NaN or infinities in x give NaN or an infinity as IEEE arithmetic would.
struct moments {
  long long count = 0;
  double sum = 0;
  double mean = 0;
  double variance = 0;
};
[[nodiscard]] moments reproducible_moments(const comm_ref& c, std::span<const double> x);

}  // namespace weft::par
