// Helpers shared by weft's tests.
#pragma once

#include <gtest/gtest.h>

#include "weft/core/comm.hpp"
#include "weft/core/environment.hpp"

namespace weft::testing {

inline comm_ref world() {
  return environment::world();
}

// True when the condition held on every rank: use before a collective inside a test so
// a failed assertion on one rank cannot leave the others waiting.
inline bool all_ranks(bool ok) {
  return world().allreduce(ok ? 1 : 0, op::min) == 1;
}

}  // namespace weft::testing
