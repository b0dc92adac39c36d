// halo_exchange: fills the halo cells of a 2-D or 3-D dist_array from the neighbouring
// ranks of its Cartesian rank grid, blocking or overlapped with computation.
//
// A halo_exchange is a plan made once per array: it finds the neighbours (faces, and with
// `corners` also the edge and corner neighbours, 3^N - 1 in all) and describes each
// region to send and receive as an MPI subarray datatype over the array's own storage,
// so nothing is packed or copied by weft and no buffer is allocated per exchange.
//
//   halo_exchange<double, 2> halo(world, field, {.periodic = {true, false}});
//   halo.exchange();                    // blocking: every halo cell is filled
//
//   auto pending = halo.start();        // overlapped: messages travel ...
//   compute(split.inner);               // ... while the interior is computed
//   pending.get();                      // finish: halos are filled
//   for (auto& b : split.shell) compute(b);
//
// Every message is nonblocking (all receives posted first, then all sends, then one
// wait), so no rank grid can deadlock: 1xN, Nx1, 1x1 periodic (a rank is its own
// neighbour), 2xN periodic (the same rank is neighbour on both sides; tags tell the two
// messages apart). Along a non-periodic axis the halo past the global edge is not
// touched: it keeps what the caller put there (boundary values, for instance).
//
// Corners: with `corners` false only face halos are filled (what a star stencil needs);
// edge and corner cells of the halo are left as they were. With `corners` true every
// halo cell is filled (what a box stencil needs), each from the rank that owns it.
//
// Cost per exchange: 2N (faces) or 3^N - 1 (corners) sends and receives per rank, of
// width * (face area) elements each. The plan holds committed MPI datatypes; destroy it
// before MPI_Finalize, and keep the array alive and unmoved while the plan is in use.
// Messages use tags [halo_tag_base, halo_tag_base + 27) on the given communicator; use
// a dup() of it if other traffic on that communicator receives with any_tag.
//
// Collective over comm: every rank of the communicator must call start()/exchange() the
// same number of times, in the same order relative to the other exchanges it takes part
// in. Throws usage_error when the width exceeds the array's halo or a block along an
// exchanging axis is thinner than the width (its halo would need a second neighbour's
// cells), mpi_error when MPI fails.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "weft/core/comm.hpp"
#include "weft/core/future.hpp"
#include "weft/grid/dist_array.hpp"

namespace weft::grid {

inline constexpr int halo_tag_base = 7300;

struct halo_options {
  std::array<bool, 3> periodic{};  // per axis; only the first N are read
  bool corners = false;            // also fill edge and corner halo cells
  index_t width = -1;              // cells per side to fill; -1: the array's whole halo
};

namespace detail {

// The element-type-independent part of a halo exchange: neighbours and datatypes.
class halo_plan {
 public:
  // `padded`/`interior` per axis, `element` the MPI type of one array element (`scale`
  // of them per element for non-arithmetic types).
  halo_plan(const comm_ref& c, const decomposition& d, std::span<const index_t> interior,
            index_t halo, const halo_options& options, MPI_Datatype element, int scale);

  // Posts every receive, then every send, on `base` (the array's storage).
  [[nodiscard]] std::vector<request> post(void* base) const;
  [[nodiscard]] std::size_t neighbours() const noexcept { return links_.size(); }
  [[nodiscard]] index_t width() const noexcept { return width_; }
  // Whether halo cells arrive across the low (side 0) or high (side 1) face of axis a.
  [[nodiscard]] bool receives(std::size_t axis, int side) const noexcept {
    return receiving_[2 * axis + (side != 0 ? 1 : 0)];
  }

 private:
  struct link {
    int rank;
    int send_tag;
    int recv_tag;
    mpi_datatype send_type;
    mpi_datatype recv_type;
  };
  MPI_Comm comm_;
  index_t width_;
  std::vector<link> links_;
  std::array<bool, 6> receiving_{};  // [2 * axis + side]
};

}  // namespace detail

template <class T, std::size_t N>
class halo_exchange {
  static_assert(N == 2 || N == 3, "halo exchange is for 2-D and 3-D arrays");

 public:
  // Local (no communication): builds the plan for `array` over communicator `c`, whose
  // rank and size must be those of the array's decomposition.
  halo_exchange(const comm_ref& c, dist_array<T, N>& array, const halo_options& options = {})
      : array_(&array),
        plan_(c, array.decomposition(), std::span<const index_t>(array.interior_shape().data(), N),
              array.halo(), options, weft::detail::wire_of<T>().type,
              weft::detail::wire_of<T>().scale) {}

  // Collective over comm (see the header): starts the exchange and returns at once. The
  // future is ready when every halo cell has arrived and every send has left; get() or
  // wait() on it finishes the exchange. Until then, do not write the interior cells next
  // to the block's faces (they are being sent) nor read the halo.
  [[nodiscard]] future<void> start() {
    return future<void>(plan_.post(array_->storage().data()), [] { return std::monostate{}; });
  }
  // Collective over comm: start() and wait.
  void exchange() { start().get(); }

  [[nodiscard]] std::size_t neighbours() const noexcept { return plan_.neighbours(); }
  [[nodiscard]] index_t width() const noexcept { return plan_.width(); }
  // Per axis, whether halo cells arrive across its low and high face: false at a global
  // edge of a non-periodic axis (nothing is exchanged there). See split_for_overlap.
  [[nodiscard]] std::array<std::array<bool, 2>, N> receiving_faces() const noexcept {
    std::array<std::array<bool, 2>, N> f{};
    for (std::size_t a = 0; a < N; ++a) f[a] = {plan_.receives(a, 0), plan_.receives(a, 1)};
    return f;
  }

 private:
  dist_array<T, N>* array_;
  detail::halo_plan plan_;
};

// A box of local indices, lo[d] <= i[d] < hi[d].
template <std::size_t N>
struct local_box {
  std::array<index_t, N> lo{};
  std::array<index_t, N> hi{};
  [[nodiscard]] bool empty() const noexcept {
    for (std::size_t d = 0; d < N; ++d) {
      if (hi[d] <= lo[d]) return true;
    }
    return false;
  }
  [[nodiscard]] index_t size() const noexcept {
    index_t s = 1;
    for (std::size_t d = 0; d < N; ++d) s *= hi[d] > lo[d] ? hi[d] - lo[d] : 0;
    return s;
  }
};

// A box split for overlap: `inner` holds the cells at least `depth` cells away from every
// face of the box (a stencil of radius `depth` there reads no halo); `shell` is the rest,
// as disjoint non-empty boxes. inner and shell together cover the box exactly once.
template <std::size_t N>
struct overlap_split {
  local_box<N> inner;
  std::vector<local_box<N>> shell;
};

// Local: splits `b` for a stencil of radius `depth` (see overlap_split), peeling a shell
// off only the faces in `faces` ([axis][0] low, [axis][1] high). Pass a halo_exchange's
// receiving_faces(): across a face where no halo arrives (a global edge) the cells next
// to it need no halo, so they stay in `inner` and the shell has no thin strips to sweep
// after the exchange. (Strips one cell-row wide along a fast axis cost a cache miss per
// row: on a 4000^2 grid they made the overlapped stencil ~8 % slower than the plain one.)
template <std::size_t N>
overlap_split<N> split_for_overlap(const local_box<N>& b, index_t depth,
                                   const std::array<std::array<bool, 2>, N>& faces) {
  overlap_split<N> out;
  local_box<N> rest = b;
  for (std::size_t d = 0; d < N; ++d) {
    if (rest.empty()) break;
    const index_t lo = rest.lo[d];
    const index_t hi = rest.hi[d];
    const index_t low_end = faces[d][0] ? std::min(lo + depth, hi) : lo;
    const index_t high_start = faces[d][1] ? std::max(hi - depth, low_end) : hi;
    local_box<N> low = rest;
    low.hi[d] = low_end;
    local_box<N> high = rest;
    high.lo[d] = high_start;
    if (!low.empty()) out.shell.push_back(low);
    if (!high.empty()) out.shell.push_back(high);
    rest.lo[d] = low_end;
    rest.hi[d] = high_start;
  }
  out.inner = rest;
  return out;
}

// Local: splits `b` for a stencil of radius `depth`, peeling a shell off every face.
template <std::size_t N>
overlap_split<N> split_for_overlap(const local_box<N>& b, index_t depth) {
  std::array<std::array<bool, 2>, N> all{};
  for (auto& f : all) f = {true, true};
  return split_for_overlap<N>(b, depth, all);
}

}  // namespace weft::grid
