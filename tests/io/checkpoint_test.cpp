// Checkpoints: written atomically with a hash per array, pruned to the newest K, restored
// on another rank count to the same bits, and skipped when damaged.
#include "weft/io/checkpoint.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
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

// Overwrites bytes in the middle of a checkpoint's field data (rank 0): the metadata
// still reads, the values do not.
void damage_field(const std::filesystem::path& file) {
  if (world().rank() == 0) {
    const weft::io::file f = weft::io::open_file_serial(file);
    const haddr_t at = H5Dget_offset(f.open_dataset("/field").native_handle());
    ASSERT_NE(at, HADDR_UNDEF);
    const int fd = ::open(file.c_str(), O_WRONLY);
    const std::vector<char> junk(256, 'x');
    ASSERT_EQ(::pwrite(fd, junk.data(), junk.size(), static_cast<off_t>(at + 4096)), 256);
    ::close(fd);
  }
  world().barrier();
}

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
  damage_field(ckpt.write(2));
  s.at_step(0);

  const auto restored = ckpt.restore();

  EXPECT_EQ(restored, 1);
  EXPECT_EQ(weft::grid::content_hash(world(), s.field), good);
}

TEST(checkpoint, the_stored_hash_read_back_in_pieces_equals_the_arrays_hash) {
  const weft::testing::scratch_dir dir("weft-ckpt");
  // Odd sizes, so blocks and pieces are uneven; tiny pieces, so ranks read different
  // numbers of them and the empty reads still take part.
  dist_array<float, 3> a(decomposition::over(world(), {13, 7, 5}), 1);
  a.fill([](const std::array<index_t, 3>& g) {
    return static_cast<float>(g[0] * 100 + g[1] * 10 + g[2]) * 0.5F;
  });
  checkpoint ckpt(world(), {.prefix = dir.path() / "cube", .keep = 1});
  ckpt.add("field", a);
  const auto path = ckpt.write(3);  // verifies with the default pieces
  const weft::io::file f = weft::io::open_file(world(), path);
  const auto want = weft::grid::content_hash(world(), a);
  for (const std::size_t piece : {std::size_t{1}, std::size_t{35 * 4}, std::size_t{1} << 20U}) {
    EXPECT_EQ(weft::io::detail::stored_hash<float>(world(), f.open_dataset("/field"),
                                                   a.decomposition(), piece),
              want)
        << "pieces of " << piece << " bytes";
  }
  // A changed value changes the hash.
  if (!a.empty()) a.local({0, 0, 0}) += 1.0F;
  EXPECT_NE(weft::grid::content_hash(world(), a), want);
}

TEST(checkpoint, a_checkpoint_that_does_not_read_back_is_set_aside_and_the_older_kept) {
  const weft::testing::scratch_dir dir("weft-ckpt");
  state s(world(), {64, 64});
  checkpoint ckpt(world(), {.prefix = dir.path() / "run", .keep = 1});
  s.register_in(ckpt);
  s.at_step(1);
  (void)ckpt.write(1);
  const auto good = weft::grid::content_hash(world(), s.field);
  s.at_step(2);
  // Written unverified so that the damage can come between the write and the check.
  checkpoint unchecked(world(), {.prefix = dir.path() / "run", .keep = 2, .verify = false});
  s.register_in(unchecked);
  const auto newest = unchecked.write(2);
  damage_field(newest);

  try {
    ckpt.verify(2);
    ADD_FAILURE() << "a damaged checkpoint verified";
  } catch (const weft::error& e) {
    EXPECT_TRUE(e.collective());
    EXPECT_NE(std::string(e.what()).find("does not read back as written"), std::string::npos)
        << e.what();
  }

  EXPECT_FALSE(std::filesystem::exists(newest));
  EXPECT_TRUE(std::filesystem::exists(newest.string() + ".damaged"));
  s.at_step(0);
  EXPECT_EQ(ckpt.restore(), 1);
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
