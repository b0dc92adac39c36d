// Collective reads and writes of each rank's block of a dataset, by hyperslab.
//
// Every function here is collective over the communicator the dataset's file was opened
// with: every rank calls it, in the same order, including ranks whose block is empty
// (they select nothing and still take part). Transfers ask for collective MPI-IO
// (H5FD_MPIO_COLLECTIVE) and return the mode HDF5 actually used
// (H5Pget_mpio_actual_io_mode): HDF5 1.10 falls back to independent I/O when it has to
// convert types (e.g. reading big-endian or int16 data into double), which is slower
// but correct.
//
// Memory types: any arithmetic T with an HDF5 native type; the file's type may differ
// (any integer or float type), HDF5 converts. Throws hdf5_error, or std::invalid_argument
// when the block does not fit inside the dataset: on every rank when a dist_array (its
// global shape at its origin) does not fit; for a plain box, on the ranks whose box does
// not fit, after they took part in the transfer with an empty selection (so no rank is
// left waiting).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "weft/grid/decomposition.hpp"
#include "weft/grid/dist_array.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/hdf5.hpp"

namespace weft::io {

enum class io_mode { independent, collective, mixed };
[[nodiscard]] std::string to_string(io_mode m);

namespace detail {
// A block in memory (a box inside a buffer of mem_shape) and where it goes in the file.
struct selection {
  extents mem_shape;   // shape of the whole buffer (padded, for dist_array)
  extents mem_start;   // first element of the block in that buffer
  extents count;       // block shape
  extents file_start;  // first element of the block in the dataset
  extents origin;      // dist_array: where its global index 0 lies in the dataset
  extents global;      // dist_array: its global shape (empty for a plain box)
};
io_mode transfer(hid_t dataset, hid_t mem_type, void* buffer, const selection& s, bool write);

template <class T, std::size_t N>
selection block_selection(const grid::dist_array<T, N>& a, const extents& origin) {
  selection s;
  const auto& dec = a.decomposition();
  s.mem_shape.assign(a.padded_shape().begin(), a.padded_shape().end());
  s.mem_start.assign(N, a.empty() ? 0 : a.halo());
  s.count = dec.local_shape();
  s.file_start = dec.local_start();
  s.origin.assign(N, 0);
  for (std::size_t k = 0; k < origin.size() && k < N; ++k) s.origin[k] = origin[k];
  for (std::size_t k = 0; k < N; ++k) s.file_start[k] += s.origin[k];
  s.global = dec.global_shape();
  return s;
}
}  // namespace detail

// Reads the box `b` of the dataset into `out` (row-major, b.size() elements).
template <class T>
io_mode read_box(const dataset& d, const box& b, std::span<T> out) {
  return detail::transfer(d.native_handle(), native_type<T>(), out.data(),
                          {b.count, extents(b.count.size(), 0), b.count, b.start, {}, {}}, false);
}
// Writes `in` (row-major, b.size() elements) into the box `b` of the dataset.
template <class T>
io_mode write_box(const dataset& d, const box& b, std::span<const T> in) {
  return detail::transfer(d.native_handle(), native_type<T>(), const_cast<T*>(in.data()),
                          {b.count, extents(b.count.size(), 0), b.count, b.start, {}, {}}, true);
}

// Reads the interior of each rank's block of `a` from the dataset; the array's global
// index 0 is element `origin` of the dataset (all zeros when empty), so an array can be
// one slab of a larger dataset. Halo cells are left as they were.
template <class T, std::size_t N>
io_mode read_block(const dataset& d, grid::dist_array<T, N>& a, const extents& origin = {}) {
  return detail::transfer(d.native_handle(), native_type<T>(), a.storage().data(),
                          detail::block_selection(a, origin), false);
}
// Writes the interior of each rank's block of `a` (halos are not written).
template <class T, std::size_t N>
io_mode write_block(const dataset& d, const grid::dist_array<T, N>& a, const extents& origin = {}) {
  return detail::transfer(d.native_handle(), native_type<T>(), const_cast<T*>(a.storage().data()),
                          detail::block_selection(a, origin), true);
}

// Writes the same small array from every rank into a 1-d dataset of data.size()
// elements: rank 0 writes, the others take part with an empty selection.
template <class T>
io_mode write_replicated(const comm_ref& c, const dataset& d, std::span<const T> data) {
  const index_t n = c.rank() == 0 ? static_cast<index_t>(data.size()) : 0;
  return write_box(d, box{{0}, {n}}, data.first(static_cast<std::size_t>(n)));
}

// Collective over c: the dataset `ref` in one call — checked as open_input checks it
// (every bad-input case one input_error on every rank), then read into a dist_array of
// the dataset's shape, decomposed over c (on `rank_grid`, or MPI_Dims_create's choice)
// with a halo of width `halo`. The dataset must have N axes; its element type is
// converted to T.
template <class T, std::size_t N>
grid::dist_array<T, N> read_array(const comm_ref& c, const dataset_ref& ref, index_t halo = 0,
                                  std::vector<int> rank_grid = {}) {
  const input in = open_input(c, ref, static_cast<int>(N));
  if (in.info.shape.size() != N) {
    throw input_error(ref.text() + ": " + std::to_string(in.info.shape.size()) +
                          " axes; this reads " + std::to_string(N) + "-axis datasets",
                      true);
  }
  grid::dist_array<T, N> a(grid::decomposition::over(c, in.info.shape, std::move(rank_grid)), halo);
  (void)read_block(in.d, a);
  return a;
}

// Collective over c: writes `a` as dataset ref.path of a new file ref.file, published
// atomically (an output_file with provenance); an existing file is replaced only when
// `overwrite` (else output_exists on every rank).
template <class T, std::size_t N>
void write_array(const comm_ref& c, const dataset_ref& ref, const grid::dist_array<T, N>& a,
                 bool overwrite, const json& parameters = json::object()) {
  output_file out(c, ref.file, overwrite, parameters);
  (void)write_block(
      out.create_dataset(ref.path, element_type_of<T>(), a.decomposition().global_shape()), a);
  out.commit();
}

}  // namespace weft::io
