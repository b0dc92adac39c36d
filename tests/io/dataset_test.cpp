#include "weft/io/dataset.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <utility>

#include "test_support.hpp"
#include "weft/core/error.hpp"
#include "weft/io/slab_reader.hpp"

namespace fs = std::filesystem;

namespace {

using namespace weft::io;
using weft::testing::world;

// Files of every kind a reader meets, written by rank 0 with the serial driver.
class dataset_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (world().rank() == 0) make_fixtures();
    world().barrier();
  }

  void make_fixtures() const {
    quiet_hdf5();
    const file f(WEFT_H5_CHECK(
        H5Fcreate((dir_ / "mixed.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)));
    const hid_t fid = f.native_handle();
    const group g(WEFT_H5_CHECK(H5Gcreate2(fid, "/group", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
    auto make = [&](const char* name, hid_t type, std::vector<hsize_t> dims) {
      const dataspace s(WEFT_H5_CHECK(
          dims.empty() ? H5Screate(H5S_SCALAR)
                       : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr)));
      return dataset(WEFT_H5_CHECK(
          H5Dcreate2(fid, name, type, s.native_handle(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
    };
    {
      const auto d = make("/group/values", H5T_IEEE_F64BE, {4, 3});
      const std::vector<double> v(12, 1.5);
      WEFT_H5_CHECK(
          H5Dwrite(d.native_handle(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()));
    }
    const datatype str(WEFT_H5_CHECK(H5Tcopy(H5T_C_S1)));
    WEFT_H5_CHECK(H5Tset_size(str.native_handle(), 8));
    (void)make("/text", str.native_handle(), {3});
    const datatype pair(WEFT_H5_CHECK(H5Tcreate(H5T_COMPOUND, 16)));
    WEFT_H5_CHECK(H5Tinsert(pair.native_handle(), "a", 0, H5T_NATIVE_DOUBLE));
    WEFT_H5_CHECK(H5Tinsert(pair.native_handle(), "b", 8, H5T_NATIVE_DOUBLE));
    {
      const auto d = make("/pairs", pair.native_handle(), {3});
      const double v[6] = {0, 0, 1, 10, 2, 20};  // a = i, b = 10 i
      WEFT_H5_CHECK(
          H5Dwrite(d.native_handle(), pair.native_handle(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    }
    {
      const auto d = make("/scalar", H5T_NATIVE_DOUBLE, {});
      const double v = 2.5;
      WEFT_H5_CHECK(
          H5Dwrite(d.native_handle(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v));
    }
    {
      const property_list dcpl(WEFT_H5_CHECK(H5Pcreate(H5P_DATASET_CREATE)));
      const double fill = -1;
      WEFT_H5_CHECK(H5Pset_fill_value(dcpl.native_handle(), H5T_NATIVE_DOUBLE, &fill));
      const hsize_t n = 6;
      const dataspace s(WEFT_H5_CHECK(H5Screate_simple(1, &n, nullptr)));
      const dataset d(WEFT_H5_CHECK(H5Dcreate2(fid, "/filled", H5T_NATIVE_FLOAT, s.native_handle(),
                                               H5P_DEFAULT, dcpl.native_handle(), H5P_DEFAULT)));
      const double v[6] = {1, -1, 3, -1, 5, 6};
      WEFT_H5_CHECK(
          H5Dwrite(d.native_handle(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    }
    {
      // Contiguous native doubles (direct reads): value 0.5 i, every 7th a fill of -1.
      const property_list dcpl(WEFT_H5_CHECK(H5Pcreate(H5P_DATASET_CREATE)));
      const double fill = -1;
      WEFT_H5_CHECK(H5Pset_fill_value(dcpl.native_handle(), H5T_NATIVE_DOUBLE, &fill));
      const hsize_t dims[2] = {300, 70};
      const dataspace s(WEFT_H5_CHECK(H5Screate_simple(2, dims, nullptr)));
      const dataset d(WEFT_H5_CHECK(H5Dcreate2(fid, "/native", H5T_NATIVE_DOUBLE, s.native_handle(),
                                               H5P_DEFAULT, dcpl.native_handle(), H5P_DEFAULT)));
      std::vector<double> v(300 * 70);
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = i % 7 == 3 ? -1.0 : 0.5 * i;
      WEFT_H5_CHECK(
          H5Dwrite(d.native_handle(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()));
    }
    {
      // A user block (h5jam, some tools' headers) shifts every address by its size.
      const property_list fcpl(WEFT_H5_CHECK(H5Pcreate(H5P_FILE_CREATE)));
      WEFT_H5_CHECK(H5Pset_userblock(fcpl.native_handle(), 1024));
      const file u(WEFT_H5_CHECK(H5Fcreate((dir_ / "userblock.h5").c_str(), H5F_ACC_TRUNC,
                                           fcpl.native_handle(), H5P_DEFAULT)));
      const hsize_t n = 5000;
      const dataspace s(WEFT_H5_CHECK(H5Screate_simple(1, &n, nullptr)));
      const dataset d(
          WEFT_H5_CHECK(H5Dcreate2(u.native_handle(), "/x", H5T_NATIVE_DOUBLE, s.native_handle(),
                                   H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
      std::vector<double> v(n);
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.25 * static_cast<double>(i);
      WEFT_H5_CHECK(
          H5Dwrite(d.native_handle(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()));
    }
    {
      // Three bytes written first leave the doubles after them between two doubles.
      const file o(WEFT_H5_CHECK(
          H5Fcreate((dir_ / "odd.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)));
      auto write = [&](const char* name, hid_t type, hsize_t n, const void* v) {
        const dataspace s(WEFT_H5_CHECK(H5Screate_simple(1, &n, nullptr)));
        const dataset d(WEFT_H5_CHECK(H5Dcreate2(o.native_handle(), name, type, s.native_handle(),
                                                 H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
        WEFT_H5_CHECK(H5Dwrite(d.native_handle(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
      };
      const unsigned char bytes[3] = {1, 2, 3};
      const double v[4] = {1, 2, 3, 4.5};
      write("/bytes", H5T_NATIVE_UCHAR, 3, bytes);
      write("/x", H5T_NATIVE_DOUBLE, 4, v);
    }
    (void)make("/empty", H5T_NATIVE_DOUBLE, {0, 4});
    (void)make("/four_d", H5T_NATIVE_DOUBLE, {2, 2, 2, 2});
    std::ofstream(dir_ / "text.h5") << "this is not HDF5\n";
  }

  void truncate_copy() const {
    if (world().rank() == 0) {
      fs::copy_file(dir_ / "mixed.h5", dir_ / "cut.h5");
      fs::resize_file(dir_ / "cut.h5", fs::file_size(dir_ / "cut.h5") / 2);
    }
    world().barrier();
  }

  // open_input must fail alike on every rank with one line naming file and dataset.
  void expect_input_error(const std::string& file, const std::string& path,
                          const std::string& reason,
                          const std::vector<std::string>& field = {}) const {
    const dataset_ref ref{dir_ / file, path, field};
    try {
      (void)open_input(world(), ref, 3, true);
      ADD_FAILURE() << "opened " << ref.text();
    } catch (const weft::input_error& e) {
      const std::string what = e.what();
      EXPECT_TRUE(e.collective());
      EXPECT_EQ(e.code(), weft::exit_code::bad_input);
      EXPECT_EQ(what.rfind(ref.text() + ": ", 0), 0u) << what;
      EXPECT_NE(what.find(reason), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }

  weft::testing::scratch_dir dir_;
};

TEST_F(dataset_test, a_numeric_dataset_opens_on_every_rank_and_is_described) {
  const auto in = open_input(world(), {dir_ / "mixed.h5", "/group/values"});
  EXPECT_EQ(in.info.shape, (weft::extents{4, 3}));
  EXPECT_EQ(in.info.type_class, H5T_FLOAT);
  EXPECT_TRUE(in.info.big_endian);
  EXPECT_EQ(in.info.type_text, "float64 big-endian");
  EXPECT_TRUE(in.info.chunk.empty());
}

TEST_F(dataset_test, each_kind_of_bad_input_is_one_clear_collective_error) {
  expect_input_error("missing.h5", "/x", "no such file");
  expect_input_error("text.h5", "/x", "not an HDF5 file");
  expect_input_error("mixed.h5", "/nope", "no such dataset");
  expect_input_error("mixed.h5", "/nope/deeper", "'/nope' is missing");
  expect_input_error("mixed.h5", "/group", "is a group, not a dataset");
  expect_input_error("mixed.h5", "/text", "has type string");
  expect_input_error("mixed.h5", "/pairs", "is a compound dataset (a table) with fields a, b");
  expect_input_error("mixed.h5", "/empty", "is empty");
  expect_input_error("mixed.h5", "/four_d", "has 4 axes");
  expect_input_error("", "/x", "is a folder");
}

// Everything this rank's slabs hold of `in` (as doubles) and how many were masked.
// This rank's part of every slab, in order; direct: through read_part in pieces of 37.
std::pair<std::vector<double>, long long> read_all(const input& in, bool skip_fill = false,
                                                   bool direct = false, double slab_mib = 1) {
  slab_reader reader(world(), in, slab_mib);
  if (skip_fill) reader.set_missing(in.info.fills);
  if (direct) {
    EXPECT_TRUE(reader.use_direct(world()));
  }
  std::vector<double> all;
  for (bool more = reader.start(); more; more = reader.advance()) {
    const auto n = static_cast<weft::index_t>(reader.current().part.size());
    for (weft::index_t b = 0; direct && b < n; b += 37)
      reader.read_part(b, std::min<weft::index_t>(37, n - b));
    const auto v = reader.current().part;
    all.insert(all.end(), v.begin(), v.end());
  }
  return {all, static_cast<long long>(reader.masked())};
}

TEST_F(dataset_test, direct_reads_give_what_hdf5_gives_and_only_where_they_can) {
  // Slabs of 0.05 MiB: 93 rows of 70, so 4 slabs, the last one short.
  const auto in = open_input(world(), {dir_ / "mixed.h5", "/native"});
  const auto [through_hdf5, masked_hdf5] = read_all(in, true, false, 0.05);
  const auto [direct, masked_direct] = read_all(in, true, true, 0.05);
  EXPECT_EQ(direct.size(), through_hdf5.size());
  bool same = direct.size() == through_hdf5.size();
  for (std::size_t i = 0; same && i < direct.size(); ++i) {
    same = direct[i] == through_hdf5[i] || (std::isnan(direct[i]) && std::isnan(through_hdf5[i]));
  }
  EXPECT_TRUE(same);
  EXPECT_EQ(masked_direct, masked_hdf5);
  EXPECT_EQ(world().allreduce(masked_direct, weft::op::sum), 3000);
  const auto shifted = open_input(world(), {dir_ / "userblock.h5", "/x"});
  const auto [shifted_direct, none] = read_all(shifted, false, true, 0.01);
  double sum = 0;
  for (const double v : shifted_direct) sum += v;
  EXPECT_EQ(world().allreduce(sum, weft::op::sum), 0.25 * 4999.0 * 5000.0 / 2);
  // Big-endian, single precision, a compound's field: HDF5 converts, so it reads them.
  for (const auto& ref :
       {dataset_ref{dir_ / "mixed.h5", "/group/values"}, dataset_ref{dir_ / "mixed.h5", "/filled"},
        dataset_ref{dir_ / "mixed.h5", "/pairs", {"a"}}}) {
    const auto other = open_input(world(), ref, 3, true);
    slab_reader reader(world(), other, 1);
    EXPECT_FALSE(reader.use_direct(world())) << ref.text();
    EXPECT_FALSE(reader.direct());
  }
  // Stored where a double cannot be loaded from in place: HDF5 copies it.
  const auto odd = open_input(world(), {dir_ / "odd.h5", "/x"});
  {
    const file f(WEFT_H5_CHECK(H5Fopen((dir_ / "odd.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)));
    const dataset d(WEFT_H5_CHECK(H5Dopen2(f.native_handle(), "/x", H5P_DEFAULT)));
    ASSERT_NE(H5Dget_offset(d.native_handle()) % alignof(double), 0U);
  }
  slab_reader misaligned(world(), odd, 1);
  EXPECT_FALSE(misaligned.use_direct(world()));
  const auto [values, none_masked] = read_all(odd);
  double odd_sum = 0;
  for (const double x : values) odd_sum += x;
  EXPECT_EQ(world().allreduce(odd_sum, weft::op::sum), 10.5);
}

TEST_F(dataset_test, a_mappable_input_opens_without_mpi_io_and_reads_alike_either_way) {
  const auto mapped = open_input(world(), {dir_ / "mixed.h5", "/native"}, 3, true,
                                 input_reads::mapped_where_possible);
  EXPECT_FALSE(detail::is_parallel_file(mapped.f.native_handle()));
  EXPECT_GE(mappable_offset(mapped.d.native_handle()), 0);
  // Read through HDF5 (independent reads of the file each rank opened) and mapped.
  const auto [through_hdf5, masked_hdf5] = read_all(mapped, true, false, 0.05);
  const auto [direct, masked_direct] = read_all(mapped, true, true, 0.05);
  const auto parallel = open_input(world(), {dir_ / "mixed.h5", "/native"});
  EXPECT_TRUE(detail::is_parallel_file(parallel.f.native_handle()));
  const auto [collective, masked_collective] = read_all(parallel, true, false, 0.05);
  auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
    bool equal = a.size() == b.size();
    for (std::size_t i = 0; equal && i < a.size(); ++i) {
      equal = a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]));
    }
    return equal;
  };
  EXPECT_TRUE(same(through_hdf5, collective));
  EXPECT_TRUE(same(direct, collective));
  EXPECT_EQ(masked_hdf5, masked_collective);
  EXPECT_EQ(masked_direct, masked_collective);
  // Not mappable (converted by HDF5, a field, misaligned), or mapping switched off: MPI-IO.
  for (const auto& ref :
       {dataset_ref{dir_ / "mixed.h5", "/group/values"},
        dataset_ref{dir_ / "mixed.h5", "/pairs", {"a"}}, dataset_ref{dir_ / "odd.h5", "/x"}}) {
    const auto other = open_input(world(), ref, 3, true, input_reads::mapped_where_possible);
    EXPECT_TRUE(other.f.opened_with_mpi_io()) << ref.text();
    EXPECT_LT(mappable_offset(other.d.native_handle()), 0) << ref.text();
  }
  const weft::testing::scoped_env no_mapping("WEFT_DIRECT_READ", "off");
  const auto off = open_input(world(), {dir_ / "mixed.h5", "/native"}, 3, true,
                              input_reads::mapped_where_possible);
  EXPECT_TRUE(off.f.opened_with_mpi_io());
}

TEST_F(dataset_test, a_file_cut_short_while_read_directly_is_a_clear_error) {
  if (world().rank() == 0) fs::copy_file(dir_ / "userblock.h5", dir_ / "shrinks.h5");
  world().barrier();
  const auto in = open_input(world(), {dir_ / "shrinks.h5", "/x"});
  slab_reader reader(world(), in, 0.01);
  ASSERT_TRUE(reader.use_direct(world()));
  ASSERT_TRUE(reader.start());
  world().barrier();
  if (world().rank() == 0) fs::resize_file(dir_ / "shrinks.h5", 1024);  // the user block
  world().barrier();
  const auto n = static_cast<weft::index_t>(reader.current().part.size());
  try {
    reader.read_part(0, n);
    ADD_FAILURE() << "read past the end of the file";
  } catch (const weft::error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code(), weft::exit_code::bad_input);
    EXPECT_NE(what.find("shrinks.h5 ended before its dataset did"), std::string::npos) << what;
  }
}

TEST_F(dataset_test, a_scalar_reads_as_one_element_on_one_rank) {
  const auto in = open_input(world(), {dir_ / "mixed.h5", "/scalar"});
  EXPECT_EQ(in.info.shape, (weft::extents{1}));
  const auto [values, masked] = read_all(in);
  double sum = 0;
  for (const double v : values) sum += v;
  EXPECT_EQ(world().allreduce(static_cast<long long>(values.size()), weft::op::sum), 1);
  EXPECT_EQ(world().allreduce(sum, weft::op::sum), 2.5);
}

TEST_F(dataset_test, a_compound_field_reads_alone_and_only_where_fields_are_read) {
  const dataset_ref ref{dir_ / "mixed.h5", "/pairs", {"b"}};
  const auto in = open_input(world(), ref, 3, true);
  EXPECT_EQ(in.info.type_text, "float64, field b of a compound");
  const auto [values, masked] = read_all(in);
  double sum = 0;
  for (const double v : values) sum += v;
  EXPECT_EQ(world().allreduce(sum, weft::op::sum), 30.0);
  EXPECT_THROW((void)open_input(world(), ref), weft::usage_error);
  expect_input_error("mixed.h5", "/pairs", "has no field 'c' (fields: a, b)", {"c"});
  expect_input_error("mixed.h5", "/group/values", "not a compound", {"a"});
}

TEST_F(dataset_test, fill_values_are_listed_and_masked_on_request) {
  const auto in = open_input(world(), {dir_ / "mixed.h5", "/filled"});
  ASSERT_EQ(in.info.fills.size(), 1u);
  EXPECT_EQ(in.info.fills[0].value, -1.0);
  EXPECT_EQ(in.info.fills[0].source, "HDF5 fill value");
  const auto [values, masked] = read_all(in, true);
  long long nans = 0;
  for (const double v : values) nans += std::isnan(v) ? 1 : 0;
  EXPECT_EQ(world().allreduce(masked, weft::op::sum), 2);
  EXPECT_EQ(world().allreduce(nans, weft::op::sum), 2);
  const auto [plain, none] = read_all(in, false);
  EXPECT_EQ(world().allreduce(none, weft::op::sum), 0);
}

TEST_F(dataset_test, a_truncated_file_is_reported_as_damaged) {
  truncate_copy();
  expect_input_error("cut.h5", "/group/values", "truncated");
}

TEST_F(dataset_test, element_type_names_round_trip_and_bad_names_are_usage_errors) {
  for (const char* n : {"f32", "f64", "i32", "i64", "u8"}) {
    EXPECT_EQ(to_string(parse_element_type(n, "--dtype")), n);
  }
  EXPECT_THROW((void)parse_element_type("f16", "--dtype"), weft::usage_error);
}

}  // namespace
