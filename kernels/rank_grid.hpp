// The --grid option shared by the grid kernels (stencil, transpose, heat): the rank grid
// as "2x1", "2x2x1" or "auto" (MPI_Dims_create's balanced choice).
#pragma once

#include <string>
#include <vector>

#include "weft/core/comm.hpp"
#include "weft/core/error.hpp"
#include "weft/grid/decomposition.hpp"

namespace weft::kernels {

// Parses "--grid" for an `axes`-d shape: "auto" gives all zeros (MPI_Dims_create picks
// each axis), "AxB" fixes them (0 lets that axis be picked). Throws usage_error.
inline std::vector<int> parse_rank_grid(const std::string& text, std::size_t axes) {
  if (text == "auto" || text.empty()) return std::vector<int>(axes, 0);
  std::vector<int> grid;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t x = std::min(text.find('x', pos), text.size());
    const std::string part = text.substr(pos, x - pos);
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos ||
        part.size() > 6) {
      throw usage_error("--grid '" + text + "': expected ranks per axis like 2x1, or auto");
    }
    grid.push_back(std::stoi(part));
    pos = x + 1;
  }
  if (grid.size() != axes) {
    throw usage_error("--grid '" + text + "' has " + std::to_string(grid.size()) +
                      " axes; the field has " + std::to_string(axes));
  }
  return grid;
}

// Collective over world (an agreement): the decomposition of `shape` over the ranks of
// `world` on the rank grid `grid_text`; with `every_rank_has_cells`, a grid with more
// ranks than cells along an axis is refused. Every rank computes the same verdict from the
// same parameters, so a bad grid is a collective usage error (exit 2 on every rank).
inline grid::decomposition decompose(const comm_ref& world, const extents& shape,
                                     const std::string& grid_text,
                                     bool every_rank_has_cells = false) {
  std::string message;
  try {
    auto dec = grid::decomposition::over(world, shape, parse_rank_grid(grid_text, shape.size()));
    for (std::size_t d = 0; d < shape.size() && every_rank_has_cells; ++d) {
      if (shape[d] < dec.grid()[d]) {
        throw usage_error("rank grid " + dec.grid_text() + " leaves some ranks without cells");
      }
    }
    return dec;
  } catch (const usage_error& e) {
    message = e.what();
  }
  agree_or_throw<usage_error>(world, false, message);
  throw usage_error(message, true);  // not reached: agree_or_throw threw
}

}  // namespace weft::kernels
