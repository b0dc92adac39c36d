#include "weft/io/block_io.hpp"

#include "weft/core/blocking.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace weft::io {

std::string to_string(io_mode m) {
  switch (m) {
    case io_mode::independent:
      return "independent";
    case io_mode::collective:
      return "collective";
    case io_mode::mixed:
      return "mixed";
  }
  return "?";
}

namespace detail {

namespace {
// FILE:/path of an open dataset, for messages.
std::string object_name(hid_t object) {
  char file[4096] = {};
  char path[4096] = {};
  (void)H5Fget_name(object, file, sizeof file);
  (void)H5Iget_name(object, path, sizeof path);
  H5Eclear2(H5E_DEFAULT);
  return std::string(file) + ":" + path;
}
}  // namespace

io_mode transfer(hid_t dset, hid_t mem_type, void* buffer, const selection& s, bool write) {
  const dataspace fspace(WEFT_H5_CHECK(H5Dget_space(dset)));
  // A scalar dataset is read and written as one element along one axis.
  const bool scalar = H5Sget_simple_extent_type(fspace.native_handle()) == H5S_SCALAR;
  const int rank = scalar ? 1 : WEFT_H5_CHECK(H5Sget_simple_extent_ndims(fspace.native_handle()));
  if (rank != static_cast<int>(s.count.size())) {
    throw std::invalid_argument(
        fmt::format("a {}-d block cannot be transferred to a {}-d dataset", s.count.size(), rank));
  }
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank), 1);
  if (!scalar) {
    WEFT_H5_CHECK(H5Sget_simple_extent_dims(fspace.native_handle(), dims.data(), nullptr));
  }
  if (!s.global.empty()) {
    // The whole array must fit: the same answer on every rank, so all throw alike.
    for (int d = 0; d < rank; ++d) {
      const auto k = static_cast<std::size_t>(d);
      if (s.origin[k] < 0 ||
          static_cast<hsize_t>(s.origin[k]) + static_cast<hsize_t>(s.global[k]) > dims[k]) {
        throw std::invalid_argument(
            fmt::format("axis {}: an array of {} at offset {} does not fit in the dataset's {}", d,
                        s.global[k], s.origin[k], dims[k]));
      }
    }
  }
  bool empty = false;
  std::string misfit;
  for (int d = 0; d < rank; ++d) {
    const auto k = static_cast<std::size_t>(d);
    empty = empty || s.count[k] == 0;
    if (misfit.empty() &&
        (s.file_start[k] < 0 || s.count[k] < 0 ||
         static_cast<hsize_t>(s.file_start[k]) + static_cast<hsize_t>(s.count[k]) > dims[k])) {
      misfit = fmt::format("axis {}: block [{}, {}) outside the dataset's {}", d, s.file_start[k],
                           s.file_start[k] + s.count[k], dims[k]);
    }
  }
  // A block that does not fit takes part with nothing, then throws on this rank.
  empty = empty || !misfit.empty();
  std::vector<hsize_t> mdims(s.mem_shape.begin(), s.mem_shape.end());
  for (auto& m : mdims) m = std::max<hsize_t>(m, 1);
  const dataspace mspace(WEFT_H5_CHECK(H5Screate_simple(rank, mdims.data(), nullptr)));
  if (empty) {
    WEFT_H5_CHECK(H5Sselect_none(fspace.native_handle()));
    WEFT_H5_CHECK(H5Sselect_none(mspace.native_handle()));
  } else if (scalar) {
    WEFT_H5_CHECK(H5Sselect_all(fspace.native_handle()));
    WEFT_H5_CHECK(H5Sselect_all(mspace.native_handle()));
  } else {
    const std::vector<hsize_t> fstart(s.file_start.begin(), s.file_start.end());
    const std::vector<hsize_t> mstart(s.mem_start.begin(), s.mem_start.end());
    const std::vector<hsize_t> count(s.count.begin(), s.count.end());
    WEFT_H5_CHECK(H5Sselect_hyperslab(fspace.native_handle(), H5S_SELECT_SET, fstart.data(),
                                      nullptr, count.data(), nullptr));
    WEFT_H5_CHECK(H5Sselect_hyperslab(mspace.native_handle(), H5S_SELECT_SET, mstart.data(),
                                      nullptr, count.data(), nullptr));
  }
  // Collective through MPI-IO; a file every rank opened itself (open_file_independently)
  // is read independently.
  const hid_t fid = H5Iget_file_id(dset);
  const bool parallel = fid < 0 || detail::is_parallel_file(fid);
  if (fid >= 0) (void)H5Fclose(fid);  // the reference H5Iget_file_id added
  const property_list dxpl(WEFT_H5_CHECK(H5Pcreate(H5P_DATASET_XFER)));
  if (parallel) WEFT_H5_CHECK(H5Pset_dxpl_mpio(dxpl.native_handle(), H5FD_MPIO_COLLECTIVE));
  const weft::detail::blocking_call mark(write ? (parallel ? "H5Dwrite (collective)" : "H5Dwrite")
                                               : (parallel ? "H5Dread (collective)" : "H5Dread"),
                                         __FILE__, __LINE__);
  if (write) {
    WEFT_H5_CHECK(H5Dwrite(dset, mem_type, mspace.native_handle(), fspace.native_handle(),
                           dxpl.native_handle(), buffer));
  } else if (H5Dread(dset, mem_type, mspace.native_handle(), fspace.native_handle(),
                     dxpl.native_handle(), buffer) < 0) {
    // The metadata were fine (the probe read them); the data are not: a chunk that does
    // not decompress, a block past the end of a truncated file. Bad input, exit 3.
    const std::string stack = take_error_stack();
    const auto last = stack.rfind("; ");
    throw input_error(fmt::format("{}: damaged data: HDF5 could not read it ({})",
                                  object_name(dset),
                                  last == std::string::npos ? stack : stack.substr(last + 2)));
  }
  if (!misfit.empty()) throw std::invalid_argument(misfit);
  if (!parallel) return io_mode::independent;
  H5D_mpio_actual_io_mode_t mode = H5D_MPIO_NO_COLLECTIVE;
  WEFT_H5_CHECK(H5Pget_mpio_actual_io_mode(dxpl.native_handle(), &mode));
  switch (mode) {
    case H5D_MPIO_CHUNK_COLLECTIVE:
    case H5D_MPIO_CONTIGUOUS_COLLECTIVE:
      return io_mode::collective;
    case H5D_MPIO_CHUNK_MIXED:
      return io_mode::mixed;
    default:
      return io_mode::independent;
  }
}

}  // namespace detail

}  // namespace weft::io
