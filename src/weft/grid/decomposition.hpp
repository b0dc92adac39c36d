// decomposition: a block distribution of an N-d global shape (N = 1, 2 or 3) over a
// Cartesian grid of ranks.
//
// Ranks are arranged in a grid (MPI_Dims_create's balanced choice, or one the caller
// gives) and numbered row-major over it, as MPI_Cart_create with reorder = false does.
// Along each axis the n rows are split into contiguous blocks: the first n % p ranks get
// n / p + 1 rows, the others n / p, so no two ranks differ by more than one row per
// axis. More ranks than rows is legal: those ranks own an empty block (local_size() == 0)
// and every operation on dist_array and in weft::io still works for them.
//
// Everything here is local arithmetic: no communication, O(N) per query. The
// decomposition of any rank can be asked from any rank (block_of(r)).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "weft/core/comm.hpp"
#include "weft/core/shape.hpp"

namespace weft::grid {

class decomposition {
 public:
  // `ranks` ranks over `global_shape`; `grid` gives ranks per axis (0 = let
  // MPI_Dims_create choose that axis). Throws usage_error when the shape has 0 or more
  // than 3 axes, a negative extent, or a grid that does not multiply to `ranks`.
  decomposition(extents global_shape, int ranks, int rank, std::vector<int> grid = {});
  // The decomposition for the calling rank of `c` (local: reads rank and size only).
  static decomposition over(const comm_ref& c, extents global_shape, std::vector<int> grid = {});

  [[nodiscard]] int ndims() const noexcept { return static_cast<int>(global_.size()); }
  [[nodiscard]] const extents& global_shape() const noexcept { return global_; }
  [[nodiscard]] index_t global_size() const noexcept;
  [[nodiscard]] const std::vector<int>& grid() const noexcept { return grid_; }
  [[nodiscard]] int ranks() const noexcept { return ranks_; }
  [[nodiscard]] int rank() const noexcept { return rank_; }

  // Grid coordinates of a rank, and the rank at grid coordinates.
  [[nodiscard]] std::vector<int> coords_of(int rank) const;
  [[nodiscard]] int rank_at(const std::vector<int>& coords) const;
  [[nodiscard]] const std::vector<int>& coords() const noexcept { return coords_; }

  // The block of global indices a rank owns.
  [[nodiscard]] box block_of(int rank) const;
  [[nodiscard]] const box& block() const noexcept { return block_; }
  [[nodiscard]] const extents& local_shape() const noexcept { return block_.count; }
  [[nodiscard]] const extents& local_start() const noexcept { return block_.start; }
  [[nodiscard]] index_t local_size() const noexcept { return block_.size(); }

  // The rank that owns a global index (throws std::out_of_range outside the shape).
  [[nodiscard]] int owner(const extents& global) const;
  // Global <-> local index of the calling rank's block (no range check).
  [[nodiscard]] extents to_local(const extents& global) const;
  [[nodiscard]] extents to_global(const extents& local) const;

  // The rank `offset` steps along `axis` in the rank grid, or std::nullopt past the edge
  // (wraps around when `periodic`). Use MPI_PROC_NULL for "none" with plain MPI calls.
  [[nodiscard]] std::optional<int> neighbour(int axis, int offset, bool periodic = false) const;

  // "4x2" style text of the rank grid.
  [[nodiscard]] std::string grid_text() const;

 private:
  extents global_;
  std::vector<int> grid_;
  int ranks_ = 1;
  int rank_ = 0;
  std::vector<int> coords_;
  box block_;
};

// The first row and the number of rows of part `part` when `n` rows are split into
// `parts` blocks as above.
[[nodiscard]] index_t block_start(index_t n, int parts, int part) noexcept;
[[nodiscard]] index_t block_count(index_t n, int parts, int part) noexcept;

}  // namespace weft::grid
