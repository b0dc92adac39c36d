#include "weft/io/block_io.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "test_support.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"

namespace {

using namespace weft::io;
using weft::extents;
using weft::index_t;
using weft::grid::decomposition;
using weft::grid::dist_array;
using weft::testing::world;

template <class T, std::size_t N>
T value_at(const std::array<index_t, N>& g) {
  index_t v = 0;
  for (std::size_t d = 0; d < N; ++d) v = v * 31 + g[d];
  return static_cast<T>(v % 251);
}

// Writes a dist_array with a halo, reads it back into another decomposition, compares.
template <class T, std::size_t N>
void round_trip(const weft::testing::scratch_dir& dir, element_type type, extents shape,
                const dataset_options& options = {}) {
  const auto path = dir / "round.h5";
  {
    output_file out(world(), path, true);
    dist_array<T, N> a(decomposition::over(world(), shape), 1);
    a.fill(value_at<T, N>);
    {
      const auto d = create_dataset(out.native_handle(), "/data", type, shape, options);
      EXPECT_EQ(write_block(d, a), io_mode::collective);
    }
    out.commit();
  }
  const auto f = open_file(world(), path);
  const dataset d(WEFT_H5_CHECK(H5Dopen2(f.native_handle(), "/data", H5P_DEFAULT)));
  std::vector<int> grid(N, 1);
  grid[N - 1] = 0;  // a different rank grid than the writer's
  dist_array<T, N> b(decomposition::over(world(), shape, grid), 2);
  EXPECT_EQ(read_block(d, b), io_mode::collective);
  index_t wrong = 0;
  const auto& s = b.decomposition().local_start();
  std::array<index_t, N> l{}, g{};
  const auto& n = b.interior_shape();
  for (index_t i = 0; i < b.interior_size(); ++i) {
    index_t rest = i;
    for (std::size_t k = N; k-- > 0;) {
      l[k] = rest % n[k];
      rest /= n[k];
      g[k] = l[k] + s[k];
    }
    wrong += b.local(l) == value_at<T, N>(g) ? 0 : 1;
  }
  EXPECT_EQ(wrong, 0) << "elements read back wrong on rank " << world().rank();
}

TEST(block_io, every_element_type_round_trips_collectively) {
  const weft::testing::scratch_dir dir;
  round_trip<float, 1>(dir, element_type::f32, {37});
  round_trip<double, 2>(dir, element_type::f64, {9, 7});
  round_trip<std::int32_t, 3>(dir, element_type::i32, {5, 4, 3});
  round_trip<std::int64_t, 2>(dir, element_type::i64, {6, 5});
  round_trip<std::uint8_t, 1>(dir, element_type::u8, {300});
}

TEST(block_io, ranks_with_empty_blocks_still_take_part) {
  const weft::testing::scratch_dir dir;
  // 2 rows for up to 4 ranks: ranks 2 and 3 own nothing.
  round_trip<double, 2>(dir, element_type::f64, {2, 3});
  round_trip<double, 1>(dir, element_type::f64, {1});
}

TEST(block_io, chunked_and_compressed_datasets_round_trip) {
  const weft::testing::scratch_dir dir;
  round_trip<double, 2>(dir, element_type::f64, {40, 33}, {{16, 16}, 0});
  round_trip<double, 2>(dir, element_type::f64, {40, 33}, {{16, 16}, 4});
  round_trip<std::int32_t, 1>(dir, element_type::i32, {1000}, {{}, 6});
}

TEST(block_io, a_slab_reads_from_an_origin_inside_a_larger_dataset) {
  const weft::testing::scratch_dir dir;
  const auto path = dir / "big.h5";
  {
    output_file out(world(), path, true);
    dist_array<double, 2> a(decomposition::over(world(), {10, 4}));
    a.fill(value_at<double, 2>);
    {
      const auto d = create_dataset(out.native_handle(), "/v", element_type::f64, {10, 4});
      (void)write_block(d, a);
    }
    out.commit();
  }
  const auto f = open_file(world(), path);
  const dataset d(WEFT_H5_CHECK(H5Dopen2(f.native_handle(), "/v", H5P_DEFAULT)));
  dist_array<double, 2> slab(decomposition::over(world(), {3, 4}, {0, 1}));
  (void)read_block(d, slab, {6, 0});
  const auto& s = slab.decomposition().local_start();
  for (index_t i = 0; i < slab.interior_shape()[0]; ++i) {
    for (index_t j = 0; j < 4; ++j) {
      EXPECT_EQ(slab(i, j), (value_at<double, 2>({6 + s[0] + i, j})));
    }
  }
  dist_array<double, 2> too_far(decomposition::over(world(), {5, 4}, {0, 1}));
  EXPECT_THROW((void)read_block(d, too_far, {6, 0}), std::invalid_argument);
}

TEST(block_io, other_integer_and_float_types_are_converted_on_read) {
  const weft::testing::scratch_dir dir;
  const auto path = dir / "types.h5";
  const extents shape{6, 5};
  {
    output_file out(world(), path, true);
    dist_array<double, 2> a(decomposition::over(world(), shape));
    a.fill(
        [](const std::array<index_t, 2>& g) { return static_cast<double>(g[0] * 5 + g[1]) - 7; });
    for (hid_t t : {H5T_STD_I16BE, H5T_IEEE_F32BE, H5T_STD_I8LE, H5T_IEEE_F64BE}) {
      const auto d = create_dataset(out.native_handle(), "/t" + std::to_string(t), t, shape);
      (void)write_block(d, a);
    }
    out.commit();
  }
  const auto f = open_file(world(), path);
  for (hid_t t : {H5T_STD_I16BE, H5T_IEEE_F32BE, H5T_STD_I8LE, H5T_IEEE_F64BE}) {
    const dataset d(WEFT_H5_CHECK(
        H5Dopen2(f.native_handle(), ("/t" + std::to_string(t)).c_str(), H5P_DEFAULT)));
    dist_array<double, 2> b(decomposition::over(world(), shape));
    (void)read_block(d, b);
    const auto& s = b.decomposition().local_start();
    for (index_t i = 0; i < b.interior_shape()[0]; ++i) {
      for (index_t j = 0; j < b.interior_shape()[1]; ++j) {
        EXPECT_EQ(b(i, j), static_cast<double>((s[0] + i) * 5 + s[1] + j) - 7);
      }
    }
  }
}

}  // namespace

namespace {

TEST(read_array, reads_what_write_array_wrote_on_another_rank_grid) {
  const weft::testing::scratch_dir dir("weft-array");
  const auto ref = parse_dataset_ref(dir / "a.h5:/g/field", "--output");
  dist_array<float, 2> a(decomposition::over(world(), {17, 9}, {world().size(), 1}), 1);
  a.fill(value_at<float, 2>);
  write_array(world(), ref, a, false);

  const auto b = read_array<float, 2>(world(), ref, 2, {1, world().size()});

  EXPECT_EQ(b.halo(), 2);
  EXPECT_EQ(b.decomposition().global_shape(), (extents{17, 9}));
  EXPECT_EQ(weft::grid::content_hash(world(), b), weft::grid::content_hash(world(), a));
  EXPECT_THROW(write_array(world(), ref, a, false), weft::output_exists);
}

TEST(read_array, a_dataset_with_other_axes_is_bad_input_on_every_rank) {
  const weft::testing::scratch_dir dir("weft-array");
  const auto ref = parse_dataset_ref(dir / "a.h5:/v", "--output");
  dist_array<double, 2> a(decomposition::over(world(), {4, 4}), 0);
  write_array(world(), ref, a, false);

  EXPECT_THROW((read_array<double, 3>(world(), ref)), weft::input_error);
}

}  // namespace
