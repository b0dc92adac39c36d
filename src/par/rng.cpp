#include "weft/par/rng.hpp"

#include <cmath>
#include <numbers>

namespace weft {

double counter_rng::normal(std::uint64_t seed, std::uint64_t index, std::uint64_t stream) noexcept {
  const block b = draw(seed, index, stream);
  const std::uint64_t first = (std::uint64_t{b[1]} << 32) | b[0];
  const std::uint64_t second = (std::uint64_t{b[3]} << 32) | b[2];
  // u1 on (0, 1] so that log(u1) is finite; u2 on [0, 1).
  const double u1 = static_cast<double>((first >> 11) + 1) * 0x1.0p-53;
  const double u2 = static_cast<double>(second >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace weft
