// layout: where the ranks and their OpenMP threads run.
//
// gather_layout() is collective over comm: every rank reports its host and, for each of
// its OpenMP threads, the cores that thread may run on (sched_getaffinity); rank 0
// receives all of it. Node count is the number of distinct shared-memory groups.
#pragma once

#include <string>
#include <vector>

#include "weft/core/comm.hpp"

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
};

// Collective over comm.
layout gather_layout(const comm_ref& c);
// The cores the calling thread may run on.
std::vector<int> current_cores();
// "0-3,6" style text for a sorted list of core ids.
std::string format_cores(const std::vector<int>& cores);

}  // namespace weft
