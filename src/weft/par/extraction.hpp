// The two primitives of error-free extraction, shared by par::exact_sum and by kernels
// that fuse it into their own passes (reduce). See exact_sum.hpp for the method.
#pragma once

#include <bit>
#include <cstdint>

namespace weft::par::detail {

// v with its lowest significand bit set: rounding it to a coarser grid never meets a tie.
[[gnu::always_inline]] inline double tie_free(double v) {
  return std::bit_cast<double>(std::bit_cast<std::uint64_t>(v) | 1U);
}

// Adds v to accumulator a, which rounds it onto a's grid (the change of a, exact), and
// returns what is left of v (exact too).
[[gnu::always_inline]] inline double deposit(double& a, double v) {
  const double b = a + tie_free(v);
  const double rest = v - (b - a);
  a = b;
  return rest;
}

}  // namespace weft::par::detail
