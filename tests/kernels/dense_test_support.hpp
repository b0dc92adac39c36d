// Shared by the dgemm, spmv and sort tests: a scratch folder every rank sees, and small
// serial HDF5 helpers that rank 0 uses to write inputs and read results.
#pragma once

#include <hdf5.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace weft::testing {

using shared_scratch = scratch_dir;

// Rank 0 only: writes datasets (name, shape, values as doubles or int64) into a new file.
struct serial_dataset {
  std::string name;
  std::vector<hsize_t> shape;
  hid_t file_type;
  hid_t memory_type;
  const void* data;
};
inline void write_serial(const std::string& file, const std::vector<serial_dataset>& sets) {
  const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  for (const auto& s : sets) {
    const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    const hid_t space = H5Screate_simple(static_cast<int>(s.shape.size()), s.shape.data(), nullptr);
    const hid_t d =
        H5Dcreate2(f, s.name.c_str(), s.file_type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, s.memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, s.data);
    H5Dclose(d);
    H5Sclose(space);
    H5Pclose(lcpl);
  }
  H5Fclose(f);
}

// Rank 0 only: reads a whole dataset as T (converted by HDF5); empty when it is missing.
template <class T>
std::vector<T> read_serial(const std::string& file, const std::string& name, hid_t memory_type) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return {};
  const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  std::vector<T> out;
  if (d >= 0) {
    const hid_t space = H5Dget_space(d);
    out.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
    H5Dread(d, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data());
    H5Sclose(space);
    H5Dclose(d);
  }
  H5Fclose(f);
  return out;
}

}  // namespace weft::testing
