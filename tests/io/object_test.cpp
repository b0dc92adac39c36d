// Typed HDF5 objects: look-ups that never raise HDF5 errors, links resolved like h5py,
// visits with paths relative to the visited group, attributes as members.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"

namespace {

using namespace weft::io;
using weft::testing::world;

// /sim/run1/field (2x3 f64), /sim/run2 (empty group), /sim/@title, a soft link
// /latest -> /sim/run1/field, a dangling soft link /gone, an external link /ext ->
// other.h5:/values, and one to a file that does not exist.
void write_tree(const weft::testing::scratch_dir& dir) {
  {
    output_file other(world(), dir / "other.h5", true);
    (void)other.create_dataset("/values", element_type::i32, {4});
    other.commit();
  }
  output_file out(world(), dir / "tree.h5", true);
  {
    const auto d = out.create_dataset("/sim/run1/field", element_type::f64, {2, 3});
    d.write_attribute("units", "K");
    const std::vector<double> v{1, 2, 3, 4, 5, 6};
    (void)write_box(d, weft::box{{0, 0}, {2, 3}}, std::span<const double>(v));
  }
  (void)out.create_dataset("/sim/run2/placeholder", element_type::u8, {1});
  const hid_t f = out.native_handle();
  // Plain HDF5 through native_handle(): what a user with their own HDF5 code can do too.
  ASSERT_GE(H5Ldelete(f, "/sim/run2/placeholder", H5P_DEFAULT), 0);
  ASSERT_GE(H5Lcreate_soft("/sim/run1/field", f, "/latest", H5P_DEFAULT, H5P_DEFAULT), 0);
  ASSERT_GE(H5Lcreate_soft("/nowhere", f, "/gone", H5P_DEFAULT, H5P_DEFAULT), 0);
  ASSERT_GE(H5Lcreate_external("other.h5", "/values", f, "/ext", H5P_DEFAULT, H5P_DEFAULT), 0);
  ASSERT_GE(H5Lcreate_external("absent.h5", "/v", f, "/ext_missing", H5P_DEFAULT, H5P_DEFAULT), 0);
  out.open_group("/sim").write_attribute("title", "a run");
  out.commit();
}

TEST(location_access, kind_of_names_groups_datasets_and_missing_paths_without_raising) {
  const weft::testing::scratch_dir dir("weft-object");
  write_tree(dir);
  const auto f = open_file_serial(dir / "tree.h5");

  EXPECT_EQ(f.kind_of("/"), object_kind::group);
  EXPECT_EQ(f.kind_of("/sim"), object_kind::group);
  EXPECT_EQ(f.kind_of("sim/run1/field"), object_kind::dataset);
  EXPECT_EQ(f.kind_of("/sim/run3/field"), object_kind::missing);
  EXPECT_EQ(f.kind_of("/nope"), object_kind::missing);
  EXPECT_EQ(f.kind_of("/latest"), object_kind::dataset);
  EXPECT_EQ(f.kind_of("/gone"), object_kind::missing);
  EXPECT_EQ(f.kind_of("/ext_missing"), object_kind::missing);
  EXPECT_EQ(take_error_stack(), "");
}

TEST(location_access, external_links_resolve_to_the_other_file) {
  const weft::testing::scratch_dir dir("weft-object");
  write_tree(dir);
  const auto f = open_file_serial(dir / "tree.h5");

  EXPECT_EQ(f.kind_of("/ext"), object_kind::dataset);
  EXPECT_EQ(f.open_dataset("/ext").info("/ext").shape, (weft::extents{4}));
}

TEST(location_access, opening_the_wrong_kind_is_an_input_error_naming_the_path) {
  const weft::testing::scratch_dir dir("weft-object");
  write_tree(dir);
  const auto f = open_file_serial(dir / "tree.h5");

  try {
    (void)f.open_dataset("/sim");
    FAIL() << "opened a group as a dataset";
  } catch (const weft::input_error& e) {
    EXPECT_EQ(std::string(e.what()), "'/sim' is a group, not a dataset");
  }
  EXPECT_THROW((void)f.open_group("/sim/run1/field"), weft::input_error);
  EXPECT_THROW((void)f.open_dataset("/sim/none"), weft::input_error);
}

TEST(location_access, visit_from_a_group_gives_paths_relative_to_it) {
  const weft::testing::scratch_dir dir("weft-object");
  write_tree(dir);
  const auto f = open_file_serial(dir / "tree.h5");
  const auto g = f.open_group("/sim");
  std::vector<std::string> seen;

  g.visit([&](const std::string& path, object_kind kind) {
    seen.push_back(path + (kind == object_kind::dataset ? " d" : " g"));
    if (kind == object_kind::dataset) {
      EXPECT_EQ(g.open_dataset(path).info().shape.size(), 2U);
    }
  });

  EXPECT_EQ(seen, (std::vector<std::string>{"run1 g", "run1/field d", "run2 g"}));
}

TEST(attribute_access, reads_back_what_members_wrote) {
  const weft::testing::scratch_dir dir("weft-object");
  write_tree(dir);
  const auto f = open_file_serial(dir / "tree.h5");

  EXPECT_EQ(f.open_group("/sim").read_string_attribute("title"), "a run");
  EXPECT_EQ(f.open_dataset("/latest").read_string_attribute("units"), "K");
  EXPECT_EQ(f.open_group("/sim").read_string_attribute("absent"), std::nullopt);
  const auto all = f.attributes();
  EXPECT_FALSE(all.empty());  // provenance of every file weft writes
}

TEST(visit, an_exception_in_the_callback_reaches_the_caller) {
  const weft::testing::scratch_dir dir("weft-object");
  write_tree(dir);
  const auto f = open_file_serial(dir / "tree.h5");

  EXPECT_THROW(f.visit([](const std::string&, object_kind) { throw std::runtime_error("stop"); }),
               std::runtime_error);
}

}  // namespace
