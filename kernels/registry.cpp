// The explicit kernel registry: adding a kernel means adding its factory here.
#include "registry.hpp"

namespace weft::kernels {

const std::vector<kernel>& registry() {
  // One kernel a line, in the order `weft kernels` lists them.
  // clang-format off
  static const std::vector<kernel> all = {
      make_nstream(),
      make_pingpong(),
      make_reduce(),
      make_histogram(),
      make_stencil(),
      make_transpose(),
      make_heat(),
      make_montecarlo(),
      make_taskfarm(),
      make_dgemm(),
      make_spmv(),
      make_sort(),
  };
  // clang-format on
  return all;
}

}  // namespace weft::kernels
