// 64-byte aligned arrays of doubles for the peers, as the Parallel Research Kernels
// allocate them. The peers stand alone (no weft code), so this is their own.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

namespace peers {

struct aligned_free {
  void operator()(double* p) const { std::free(p); }
};
using buffer = std::unique_ptr<double[], aligned_free>;

// At least one element, rounded up to whole 64-byte lines (aligned_alloc's rule).
inline buffer allocate(long long count) {
  const auto bytes = static_cast<std::size_t>(count > 0 ? count : 1) * sizeof(double);
  return buffer(static_cast<double*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64)));
}

}  // namespace peers
