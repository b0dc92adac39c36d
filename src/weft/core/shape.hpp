// shape: the index and extent types every module shares — a global index, the extents of
// an N-d array, and a box of indices. Local arithmetic, no communication.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weft {

using index_t = std::int64_t;
using extents = std::vector<index_t>;

// An N-d box of global indices: start[d] <= i[d] < start[d] + count[d].
struct box {
  extents start;
  extents count;
  [[nodiscard]] index_t size() const noexcept;  // product of counts (0 when any is 0)
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] bool contains(const extents& global) const noexcept;
  bool operator==(const box&) const = default;
};

// The number of elements of a shape (1 for a scalar, the empty shape).
[[nodiscard]] index_t element_count(const extents& shape) noexcept;

// Parses "8192x8192" (or "100", "4x5x6") into extents; throws usage_error naming `what`
// for anything but positive sizes, or more than `max_axes` axes.
[[nodiscard]] extents parse_extents(const std::string& text, const std::string& what,
                                    int max_axes = 3);

// "8192x8192"; "scalar" for the empty shape.
[[nodiscard]] std::string to_string(const extents& shape);

}  // namespace weft
