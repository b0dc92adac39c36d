// Checkpoints: written atomically with a hash per array, pruned to the newest K, restored
// on another rank count to the same bits, and skipped when damaged.
#include "weft/io/checkpoint.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "test_support.hpp"

namespace {

using weft::comm;
using weft::extents;
using weft::index_t;
using weft::grid::decomposition;
using weft::grid::dist_array;
using weft::io::checkpoint;
using weft::testing::world;

double value_at(const std::array<index_t, 2>& g, long long step) {
  return static_cast<double>(g[0] * 1000 + g[1]) + 0.125 * static_cast<double>(step);
}

struct state {
  dist_array<double, 2> field;
  double time = 0;
  long long counter = 0;
  std::uint64_t rng = 0;
  state(const weft::comm_ref& c, const extents& shape) : field(decomposition::over(c, shape), 1) {}
  void at_step(long long step) {
    field.fill([step](const std::array<index_t, 2>& g) { return value_at(g, step); });
    time = 0.1 * static_cast<double>(step);
    counter = step * 7;
    rng = 0xfedcba9876543210ULL + static_cast<std::uint64_t>(step);
  }
  void register_in(checkpoint& ckpt) {
    ckpt.add("field", field);
    ckpt.add("time", time);
    ckpt.add("counter", counter);
    ckpt.add("rng", rng);
  }
};

TEST(checkpoint, keeps_the_newest_k_and_restores_the_newest_to_the_same_bits) {
  const weft::testing::scratch_dir dir("weft-ckpt");
  const extents shape{13, 7};
  state s(world(), shape);
  checkpoint ckpt(world(), {.prefix = dir.path() / "run", .keep = 2, .fingerprint = "a"});
  s.register_in(ckpt);
  for (long long step : {5, 10, 15}) {
    s.at_step(step);
    (void)ckpt.write(step);
  }
  const auto hash = weft::grid::content_hash(world(), s.field);
  s.at_step(0);

  const auto restored = ckpt.restore();

  ASSERT_EQ(restored, 15);
  EXPECT_EQ(weft::grid::content_hash(world(), s.field), hash);
  EXPECT_EQ(s.time, 0.1 * 15);
  EXPECT_EQ(s.counter, 105);
  EXPECT_EQ(s.rng, 0xfedcba9876543210ULL + 15);
  const auto files = ckpt.list();
  ASSERT_EQ(files.size(), 2U);
  EXPECT_EQ(files[0].first, 15);
  EXPECT_EQ(files[1].first, 10);
}

TEST(checkpoint, a_checkpoint_restores_on_fewer_ranks_with_another_decomposition) {
  const weft::testing::scratch_dir dir("weft-ckpt");
  const extents shape{9, 11};
  std::uint64_t written = 0;
  {
    state s(world(), shape);
    checkpoint ckpt(world(), {.prefix = dir.path() / "run"});
    s.register_in(ckpt);
    s.at_step(3);
    (void)ckpt.write(3);
    written = weft::grid::content_hash(world(), s.field);
  }
  // The first half of the ranks (at least one) restart without the others.
  const bool in_half = world().rank() < std::max(1, world().size() / 2);
  const comm half = world().split(in_half ? 0 : 1, world().rank());
  if (in_half) {
    state s(half, shape);
    checkpoint ckpt(half, {.prefix = dir.path() / "run"});
    s.register_in(ckpt);

    EXPECT_EQ(ckpt.restore(), 3);
    EXPECT_EQ(weft::grid::content_hash(half, s.field), written);
    EXPECT_EQ(s.counter, 21);
  }
  world().barrier();
}

TEST(checkpoint, a_damaged_newest_checkpoint_falls_back_to_the_one_before) {
  const weft::testing::scratch_dir dir("weft-ckpt");
  const extents shape{64, 64};
  state s(world(), shape);
  checkpoint ckpt(world(), {.prefix = dir.path() / "run", .keep = 3});
  s.register_in(ckpt);
  s.at_step(1);
  (void)ckpt.write(1);
  const auto good = weft::grid::content_hash(world(), s.field);
  s.at_step(2);
  const auto newest = ckpt.write(2);
  if (world().rank() == 0) {
    // Overwrite bytes in the middle of the field's data: the metadata still reads.
    const weft::io::file f = weft::io::open_file_serial(newest);
    const haddr_t at = H5Dget_offset(f.open_dataset("/field").native_handle());
    ASSERT_NE(at, HADDR_UNDEF);
    const int fd = ::open(newest.c_str(), O_WRONLY);
    const std::vector<char> junk(256, 'x');
    ASSERT_EQ(::pwrite(fd, junk.data(), junk.size(), static_cast<off_t>(at + 4096)), 256);
    ::close(fd);
  }
  world().barrier();
  s.at_step(0);

  const auto restored = ckpt.restore();

  EXPECT_EQ(restored, 1);
  EXPECT_EQ(weft::grid::content_hash(world(), s.field), good);
}

TEST(checkpoint, a_checkpoint_of_other_parameters_is_refused_on_every_rank) {
  const weft::testing::scratch_dir dir("weft-ckpt");
  state s(world(), {8, 8});
  {
    checkpoint ckpt(world(), {.prefix = dir.path() / "run", .fingerprint = "alpha=1"});
    s.register_in(ckpt);
    (void)ckpt.write(4);
  }
  checkpoint other(world(), {.prefix = dir.path() / "run", .fingerprint = "alpha=2"});
  s.register_in(other);

  EXPECT_THROW((void)other.restore(), weft::usage_error);
}

TEST(checkpoint, without_files_restore_finds_nothing_and_touches_nothing) {
  const weft::testing::scratch_dir dir("weft-ckpt");
  state s(world(), {8, 8});
  s.at_step(9);
  checkpoint ckpt(world(), {.prefix = dir.path() / "none"});
  s.register_in(ckpt);

  EXPECT_EQ(ckpt.restore(), std::nullopt);
  EXPECT_EQ(s.counter, 63);
}

TEST(checkpoint, names_are_plain_words_registered_once) {
  const weft::testing::scratch_dir dir("weft-ckpt");
  state s(world(), {8, 8});
  checkpoint ckpt(world(), {.prefix = dir.path() / "run"});
  ckpt.add("time", s.time);

  EXPECT_THROW(ckpt.add("time", s.counter), weft::usage_error);
  EXPECT_THROW(ckpt.add("a/b", s.counter), weft::usage_error);
}

}  // namespace
