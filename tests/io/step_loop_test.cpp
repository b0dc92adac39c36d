// The step loop: checkpoints every K steps and after the last, a stop request agreed at a
// step boundary that checkpoints and ends with exit code 75, and a restart that continues
// to the bits of an uninterrupted run.
#include "weft/io/step_loop.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

using weft::index_t;
using weft::grid::decomposition;
using weft::grid::dist_array;
using weft::io::checkpoint;
using weft::io::step_loop;
using weft::testing::world;

// A state that every step changes in a way that depends on all earlier steps.
struct state {
  dist_array<double, 1> x;
  double total = 0;
  explicit state(const weft::comm_ref& c) : x(decomposition::over(c, {40}), 0) {
    x.fill([](const std::array<index_t, 1>& g) { return static_cast<double>(g[0]); });
  }
  void advance(long long step) {
    for (index_t i = 0; i < x.interior_shape()[0]; ++i)
      x(i) = x(i) * 0.5 + static_cast<double>(step);
    total += static_cast<double>(step) * 0.25;
  }
};

std::vector<long long> steps_on_disk(const checkpoint& ckpt) {
  std::vector<long long> out;
  for (const auto& [step, path] : ckpt.list()) out.push_back(step);
  return out;
}

TEST(step_loop, checkpoints_every_k_steps_and_after_the_last) {
  const weft::testing::scratch_dir dir("weft-loop");
  state s(world());
  checkpoint ckpt(world(), {.prefix = dir.path() / "run", .keep = 10});
  ckpt.add("x", s.x);
  ckpt.add("total", s.total);
  step_loop loop(world(), {.steps = 11,
                           .checkpoints = &ckpt,
                           .checkpoint_every = 4,
                           .progress = weft::progress_style::off});
  long long ran = 0;

  loop.run(0, [&](long long step) {
    s.advance(step);
    ++ran;
  });

  EXPECT_EQ(ran, 11);
  EXPECT_EQ(steps_on_disk(ckpt), (std::vector<long long>{11, 8, 4}));
}

TEST(step_loop, a_stop_checkpoints_ends_with_75_and_the_restart_gives_the_same_bits) {
  const weft::testing::scratch_dir dir("weft-loop");
  constexpr long long steps = 9;
  // The uninterrupted run.
  state whole(world());
  step_loop plain(world(), {.steps = steps, .progress = weft::progress_style::off});
  plain.run(0, [&](long long step) { whole.advance(step); });
  const auto want = weft::grid::content_hash(world(), whole.x);

  // Stopped by SIGUSR1 on the last rank during step 3: every rank stops after it.
  state s(world());
  checkpoint ckpt(world(), {.prefix = dir.path() / "run", .keep = 2});
  ckpt.add("x", s.x);
  ckpt.add("total", s.total);
  {
    step_loop loop(world(), {.steps = steps,
                             .checkpoints = &ckpt,
                             .label = "demo",
                             .progress = weft::progress_style::off});
    try {
      loop.run(0, [&](long long step) {
        s.advance(step);
        if (step == 3 && world().rank() == world().size() - 1) std::raise(SIGUSR1);
      });
      FAIL() << "the loop did not stop";
    } catch (const weft::error& e) {
      EXPECT_EQ(e.code(), weft::exit_code::interrupted);
      EXPECT_TRUE(e.collective());
      const std::string text = e.what();
      EXPECT_NE(text.find("demo: stopped by SIGUSR1 after step 4 of 9"), std::string::npos) << text;
      EXPECT_NE(text.find(ckpt.path_of(4).string() + " written; rerun with --restart"),
                std::string::npos)
          << text;
    }
  }
  EXPECT_EQ(steps_on_disk(ckpt), (std::vector<long long>{4}));

  // The restart continues from step 4 to the bits of the uninterrupted run.
  state again(world());
  checkpoint resumed(world(), {.prefix = dir.path() / "run", .keep = 2});
  resumed.add("x", again.x);
  resumed.add("total", again.total);
  const long long first = resumed.restore().value_or(0);
  ASSERT_EQ(first, 4);
  step_loop loop(world(),
                 {.steps = steps, .checkpoints = &resumed, .progress = weft::progress_style::off});
  loop.run(first, [&](long long step) { again.advance(step); });
  EXPECT_EQ(weft::grid::content_hash(world(), again.x), want);
  EXPECT_EQ(again.total, whole.total);
}

TEST(step_loop, without_checkpoints_a_stop_still_ends_with_75) {
  step_loop loop(world(), {.steps = 5, .progress = weft::progress_style::off});
  try {
    loop.run(0, [&](long long step) {
      if (step == 1 && world().rank() == 0) std::raise(SIGTERM);
    });
    FAIL() << "the loop did not stop";
  } catch (const weft::error& e) {
    EXPECT_EQ(e.code(), weft::exit_code::interrupted);
    EXPECT_EQ(std::string(e.what()), "run: stopped by SIGTERM after step 2 of 5");
  }
}

}  // namespace
