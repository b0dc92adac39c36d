#include "weft/core/layout.hpp"

#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>

namespace weft {

std::vector<int> current_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cores;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cores;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cores.push_back(c);
  }
  return cores;
}

layout gather_layout(const comm_ref& c) {
  const int threads = omp_get_max_threads();
  std::vector<std::vector<int>> per_thread(static_cast<std::size_t>(threads));
#pragma omp parallel default(none) shared(per_thread)
  per_thread[static_cast<std::size_t>(omp_get_thread_num())] = current_cores();

  // Serialise this rank's placement as text: "host|cores;cores;..."
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::string mine = host;
  mine += '|';
  for (std::size_t t = 0; t < per_thread.size(); ++t) {
    if (t) mine += ';';
    mine += format_cores(per_thread[t]);
  }
  const int length = static_cast<int>(mine.size());
  const auto lengths = c.gather(length);
  const auto text = c.gatherv(std::span<const char>(mine.data(), mine.size()));

  layout out;
  out.ranks = c.size();
  out.threads = c.allreduce(threads, op::max);
  out.nodes = split_nodes(c).nodes;
  if (c.rank() != 0) return out;
  std::size_t offset = 0;
  for (int r = 0; r < c.size(); ++r) {
    const std::string entry(text.data() + offset, static_cast<std::size_t>(lengths[r]));
    offset += static_cast<std::size_t>(lengths[r]);
    rank_placement p;
    p.rank = r;
    const auto bar = entry.find('|');
    p.host = entry.substr(0, bar);
    std::string rest = entry.substr(bar + 1);
    std::size_t start = 0;
    while (start <= rest.size()) {
      const auto end = std::min(rest.find(';', start), rest.size());
      const std::string item = rest.substr(start, end - start);
      std::vector<int> cores;
      std::size_t s = 0;
      while (s < item.size()) {
        const auto e = std::min(item.find(',', s), item.size());
        const std::string range = item.substr(s, e - s);
        const auto dash = range.find('-');
        const int lo = std::stoi(range.substr(0, dash));
        const int hi = dash == std::string::npos ? lo : std::stoi(range.substr(dash + 1));
        for (int k = lo; k <= hi; ++k) cores.push_back(k);
        s = e + 1;
      }
      p.thread_cores.push_back(std::move(cores));
      start = end + 1;
    }
    out.placement.push_back(std::move(p));
  }
  return out;
}

}  // namespace weft
