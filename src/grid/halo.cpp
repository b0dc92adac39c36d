#include "weft/grid/halo.hpp"

#include <limits>
#include <string>
#include <utility>

#include "weft/core/error.hpp"
#include "weft/core/log.hpp"

namespace weft::grid {

namespace detail {

namespace {

int to_int(index_t v, const char* what) {
  if (v > std::numeric_limits<int>::max()) {
    throw usage_error(std::string("halo exchange: ") + what + " " + std::to_string(v) +
                      " exceeds MPI's int counts");
  }
  return static_cast<int>(v);
}

// The subarray of the padded block that a direction selects. `side` per axis is -1, 0 or
// +1; `halo_side` picks the halo cells on that side instead of the interior cells next
// to it.
mpi_datatype region_type(std::span<const int> padded, std::span<const index_t> interior,
                         index_t halo, index_t width, std::span<const int> side, bool halo_side,
                         MPI_Datatype element) {
  const std::size_t n = padded.size();
  std::vector<int> sub(n), start(n);
  for (std::size_t d = 0; d < n; ++d) {
    const index_t len = interior[d];
    index_t first = 0;
    index_t count = len;
    if (side[d] < 0) {
      first = halo_side ? -width : 0;
      count = width;
    } else if (side[d] > 0) {
      first = halo_side ? len : len - width;
      count = width;
    }
    sub[d] = to_int(count, "region extent");
    start[d] = to_int(first + halo, "region start");
  }
  MPI_Datatype t = MPI_DATATYPE_NULL;
  WEFT_MPI_CHECK(MPI_Type_create_subarray(static_cast<int>(n), padded.data(), sub.data(),
                                          start.data(), MPI_ORDER_C, element, &t));
  mpi_datatype owned(t);
  WEFT_MPI_CHECK(MPI_Type_commit(&t));
  return owned;
}

int direction_index(std::span<const int> side) {
  int index = 0;
  int scale = 1;
  for (const int s : side) {
    index += (s + 1) * scale;
    scale *= 3;
  }
  return index;
}

}  // namespace

halo_plan::halo_plan(const comm_ref& c, const decomposition& d, std::span<const index_t> interior,
                     index_t halo, const halo_options& options, MPI_Datatype element, int scale)
    : comm_(c.native_handle()), width_(options.width < 0 ? halo : options.width) {
  const std::size_t n = interior.size();
  if (c.size() != d.ranks() || c.rank() != d.rank()) {
    throw usage_error("halo exchange: the communicator (rank " + std::to_string(c.rank()) + " of " +
                      std::to_string(c.size()) +
                      ") is not the one the array is decomposed over (rank " +
                      std::to_string(d.rank()) + " of " + std::to_string(d.ranks()) + ")");
  }
  if (width_ > halo) {
    throw usage_error("halo exchange: width " + std::to_string(width_) +
                      " is wider than the array's halo of " + std::to_string(halo));
  }
  if (width_ == 0) return;
  for (std::size_t a = 0; a < n; ++a) {
    const int parts = d.grid()[a];
    const bool exchanges = parts > 1 || options.periodic[a];
    const index_t thinnest = d.global_shape()[a] / parts;
    if (exchanges && thinnest < width_) {
      throw usage_error("halo exchange: along axis " + std::to_string(a) + " the thinnest block (" +
                        std::to_string(thinnest) + " of " + std::to_string(d.global_shape()[a]) +
                        " over " + std::to_string(parts) +
                        " ranks) is thinner than the halo width " + std::to_string(width_));
    }
  }

  // One element of the array as an MPI type: non-arithmetic types travel as bytes.
  mpi_datatype wide;
  if (scale != 1) {
    MPI_Datatype t = MPI_DATATYPE_NULL;
    WEFT_MPI_CHECK(MPI_Type_contiguous(scale, element, &t));
    wide = mpi_datatype(t);
    WEFT_MPI_CHECK(MPI_Type_commit(&t));
    element = wide.native_handle();
  }
  std::vector<int> padded(n);
  for (std::size_t a = 0; a < n; ++a) padded[a] = to_int(interior[a] + 2 * halo, "padded extent");

  // Every direction in {-1, 0, 1}^n except 0: faces have one non-zero component.
  std::vector<int> side(n, -1);
  int total = 1;
  for (std::size_t a = 0; a < n; ++a) total *= 3;
  for (int k = 0; k < total; ++k) {
    int rest = k;
    int nonzero = 0;
    for (std::size_t a = 0; a < n; ++a) {
      side[a] = rest % 3 - 1;
      rest /= 3;
      nonzero += side[a] != 0 ? 1 : 0;
    }
    if (nonzero == 0 || (!options.corners && nonzero > 1)) continue;
    std::vector<int> coords = d.coords();
    bool exists = true;
    for (std::size_t a = 0; a < n && exists; ++a) {
      const int g = d.grid()[a];
      int v = coords[a] + side[a];
      if (options.periodic[a]) {
        v = (v % g + g) % g;
      } else if (v < 0 || v >= g) {
        exists = false;
      }
      coords[a] = v;
    }
    if (!exists) continue;
    for (std::size_t a = 0; a < n; ++a) {
      if (side[a] != 0) receiving_[2 * a + (side[a] > 0 ? 1 : 0)] = true;
    }
    std::vector<int> opposite(side);
    for (int& s : opposite) s = -s;
    links_.push_back(link{d.rank_at(coords), halo_tag_base + direction_index(side),
                          halo_tag_base + direction_index(opposite),
                          region_type(padded, interior, halo, width_, side, false, element),
                          region_type(padded, interior, halo, width_, side, true, element)});
  }
}

std::vector<request> halo_plan::post(void* base) const {
  std::vector<request> requests;
  requests.reserve(2 * links_.size());
  for (const auto& l : links_) {
    MPI_Request r = MPI_REQUEST_NULL;
    WEFT_MPI_CHECK(MPI_Irecv(base, 1, l.recv_type.native_handle(), l.rank, l.recv_tag, comm_, &r));
    requests.emplace_back(r, request::kind::receive);
  }
  for (const auto& l : links_) {
    MPI_Request r = MPI_REQUEST_NULL;
    WEFT_MPI_CHECK(MPI_Isend(base, 1, l.send_type.native_handle(), l.rank, l.send_tag, comm_, &r));
    requests.emplace_back(r, request::kind::send);
  }
  return requests;
}

}  // namespace detail

}  // namespace weft::grid
