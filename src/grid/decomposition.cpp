#include "weft/grid/decomposition.hpp"

#include <mpi.h>

#include <algorithm>
#include <stdexcept>

#include "weft/core/error.hpp"

namespace weft::grid {

index_t block_start(index_t n, int parts, int part) noexcept {
  const index_t base = n / parts;
  const index_t extra = n % parts;
  return part * base + std::min<index_t>(part, extra);
}

index_t block_count(index_t n, int parts, int part) noexcept {
  return n / parts + (part < n % parts ? 1 : 0);
}

decomposition::decomposition(extents global_shape, int ranks, int rank, std::vector<int> grid)
    : global_(std::move(global_shape)), ranks_(ranks), rank_(rank) {
  const int n = static_cast<int>(global_.size());
  if (n < 1 || n > 3) {
    throw usage_error("a decomposition needs 1 to 3 axes, not " + std::to_string(n));
  }
  for (const index_t e : global_) {
    if (e < 0) throw usage_error("negative extent " + std::to_string(e) + " in a shape");
  }
  if (ranks < 1 || rank < 0 || rank >= ranks) {
    throw usage_error("rank " + std::to_string(rank) + " of " + std::to_string(ranks));
  }
  if (grid.empty()) grid.assign(global_.size(), 0);
  if (grid.size() != global_.size()) {
    throw usage_error("the rank grid has " + std::to_string(grid.size()) + " axes, the shape " +
                      std::to_string(n));
  }
  for (const int g : grid) {
    if (g < 0) throw usage_error("negative rank count in a rank grid");
  }
  int fixed = 1;
  for (const int g : grid) fixed *= g > 0 ? g : 1;
  if (ranks % fixed != 0) {
    throw usage_error("a rank grid of " + std::to_string(fixed) + " cannot hold " +
                      std::to_string(ranks) + " ranks");
  }
  grid_ = grid;
  MPI_Dims_create(ranks, n, grid_.data());
  int product = 1;
  for (const int g : grid_) product *= g;
  if (product != ranks) {
    throw usage_error("rank grid " + grid_text() + " holds " + std::to_string(product) +
                      " ranks, not " + std::to_string(ranks));
  }
  coords_ = coords_of(rank_);
  block_ = block_of(rank_);
}

decomposition decomposition::over(const comm_ref& c, extents global_shape, std::vector<int> grid) {
  return {std::move(global_shape), c.size(), c.rank(), std::move(grid)};
}

index_t decomposition::global_size() const noexcept {
  index_t s = 1;
  for (const index_t e : global_) s *= e;
  return s;
}

std::vector<int> decomposition::coords_of(int rank) const {
  std::vector<int> c(grid_.size());
  for (int d = ndims() - 1; d >= 0; --d) {
    c[d] = rank % grid_[d];
    rank /= grid_[d];
  }
  return c;
}

int decomposition::rank_at(const std::vector<int>& coords) const {
  int r = 0;
  for (int d = 0; d < ndims(); ++d) r = r * grid_[d] + coords[d];
  return r;
}

box decomposition::block_of(int rank) const {
  const auto c = coords_of(rank);
  box b;
  b.start.resize(global_.size());
  b.count.resize(global_.size());
  for (int d = 0; d < ndims(); ++d) {
    b.start[d] = block_start(global_[d], grid_[d], c[d]);
    b.count[d] = block_count(global_[d], grid_[d], c[d]);
  }
  return b;
}

int decomposition::owner(const extents& global) const {
  if (global.size() != global_.size()) throw std::out_of_range("index has the wrong rank");
  std::vector<int> c(global_.size());
  for (int d = 0; d < ndims(); ++d) {
    const index_t i = global[d];
    if (i < 0 || i >= global_[d]) throw std::out_of_range("index outside the global shape");
    const index_t n = global_[d];
    const index_t p = grid_[d];
    const index_t base = n / p;
    const index_t extra = n % p;
    // The first `extra` blocks have base + 1 rows.
    const index_t big = extra * (base + 1);
    c[d] = static_cast<int>(i < big ? i / (base + 1) : extra + (i - big) / base);
  }
  return rank_at(c);
}

extents decomposition::to_local(const extents& global) const {
  extents l(global.size());
  for (std::size_t d = 0; d < global.size(); ++d) l[d] = global[d] - block_.start[d];
  return l;
}

extents decomposition::to_global(const extents& local) const {
  extents g(local.size());
  for (std::size_t d = 0; d < local.size(); ++d) g[d] = local[d] + block_.start[d];
  return g;
}

std::optional<int> decomposition::neighbour(int axis, int offset, bool periodic) const {
  if (axis < 0 || axis >= ndims()) throw std::out_of_range("no such axis");
  auto c = coords_;
  int v = c[axis] + offset;
  const int g = grid_[axis];
  if (periodic) {
    v = ((v % g) + g) % g;
  } else if (v < 0 || v >= g) {
    return std::nullopt;
  }
  c[axis] = v;
  return rank_at(c);
}

std::string decomposition::grid_text() const {
  std::string t;
  for (std::size_t d = 0; d < grid_.size(); ++d) {
    if (d) t += 'x';
    t += std::to_string(grid_[d]);
  }
  return t;
}

}  // namespace weft::grid
