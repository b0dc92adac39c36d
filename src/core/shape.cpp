#include "weft/core/shape.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "weft/base/error.hpp"

namespace weft {

index_t box::size() const noexcept {
  if (count.empty()) return 0;
  index_t n = 1;
  for (const index_t c : count) n *= c;
  return n;
}

bool box::contains(const extents& global) const noexcept {
  if (global.size() != start.size()) return false;
  for (std::size_t d = 0; d < start.size(); ++d) {
    if (global[d] < start[d] || global[d] >= start[d] + count[d]) return false;
  }
  return true;
}

index_t element_count(const extents& shape) noexcept {
  index_t n = 1;
  for (const index_t e : shape) n *= e;
  return n;
}

extents parse_extents(const std::string& text, const std::string& what, int max_axes) {
  extents out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t x = std::min(text.find('x', pos), text.size());
    index_t v = 0;
    const char* first = text.data() + pos;
    const char* last = text.data() + x;
    const auto [ptr, ec] = std::from_chars(first, last, v);
    if (first == last || ec != std::errc() || ptr != last || v < 1) {
      throw usage_error(what + " '" + text + "': expected positive sizes like 512x512");
    }
    out.push_back(v);
    pos = x + 1;
  }
  if (std::cmp_greater(out.size(), max_axes)) {
    throw usage_error(what + " '" + text + "': at most " + std::to_string(max_axes) + " axes");
  }
  return out;
}

std::string to_string(const extents& shape) {
  if (shape.empty()) return "scalar";
  std::string t;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (d > 0) t += 'x';
    t += std::to_string(shape[d]);
  }
  return t;
}

}  // namespace weft
