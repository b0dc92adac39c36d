#include "weft/core/future.hpp"

namespace weft::detail {

bool test_all(std::span<request> requests) {
  bool all = true;
  for (auto& r : requests) {
    if (r.active() && !r.test()) all = false;
  }
  return all;
}

void wait_all(std::span<request> requests) {
  for (auto& r : requests) {
    if (r.active()) r.wait();
  }
}

}  // namespace weft::detail
