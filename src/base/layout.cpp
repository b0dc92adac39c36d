#include "weft/base/layout.hpp"

#include <fmt/format.h>

#include <map>

namespace weft {

int layout::ranks_per_node() const {
  if (placement.empty()) return nodes > 0 ? (ranks + nodes - 1) / nodes : ranks;
  std::map<std::string, int> per_host;
  int most = 0;
  for (const auto& p : placement) most = std::max(most, ++per_host[p.host]);
  return most;
}

std::string format_cores(const std::vector<int>& cores) {
  std::string out;
  for (std::size_t i = 0; i < cores.size();) {
    std::size_t j = i;
    while (j + 1 < cores.size() && cores[j + 1] == cores[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", cores[i]) : fmt::format("{}-{}", cores[i], cores[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace weft
