// gather_layout: where the ranks and their OpenMP threads run. The layout type itself is
// plain data in weft/base/layout.hpp, so records can carry it outside MPI.
//
// gather_layout() is collective over comm: every rank reports its host and, for each of
// its OpenMP threads, the cores that thread may run on (sched_getaffinity); rank 0
// receives all of it. Node count is the number of distinct shared-memory groups.
#pragma once

#include <vector>

#include "weft/base/layout.hpp"
#include "weft/core/comm.hpp"

namespace weft {

// Collective over comm.
layout gather_layout(const comm_ref& c);
// The cores the calling thread may run on.
std::vector<int> current_cores();

}  // namespace weft
