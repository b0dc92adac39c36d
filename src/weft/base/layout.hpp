// layout: where a run's ranks and their OpenMP threads ran — nodes, ranks, threads per
// rank and each thread's cores. Plain data, free of MPI: the library gathers it
// (weft/core/layout.hpp, gather_layout), records carry it, the launch layer and the
// report read it.
#pragma once

#include <string>
#include <vector>

namespace weft {

struct rank_placement {
  int rank = 0;
  std::string host;
  std::vector<std::vector<int>> thread_cores;  // one list of core ids per OpenMP thread
};

struct layout {
  int ranks = 1;
  int threads = 1;  // OpenMP threads per rank (the maximum over ranks)
  int nodes = 1;
  std::vector<rank_placement> placement;  // complete on rank 0 only

  [[nodiscard]] int workers() const noexcept { return ranks * threads; }
  // Ranks on the busiest node (ranks / nodes rounded up when placement is unknown).
  [[nodiscard]] int ranks_per_node() const;
};

// "0-3,6" style text for a sorted list of core ids.
[[nodiscard]] std::string format_cores(const std::vector<int>& cores);

}  // namespace weft
