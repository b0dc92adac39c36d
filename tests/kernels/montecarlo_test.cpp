#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <numbers>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "kernel_support.hpp"
#include "weft/par/rng.hpp"

namespace {

// The estimate a single thread computes in task order, with the kernel's documented
// summation order (sample first + i of a task adds to partial sum i % 8; the partials
// fold pairwise): the kernel must reproduce these bits at every rank x thread layout.
template <class F>
double serial_estimate(std::uint64_t samples, std::uint64_t block, std::uint64_t seed, F f) {
  double total = 0;
  for (std::uint64_t first = 0; first < samples; first += block) {
    std::array<double, 8> p{};
    for (std::uint64_t s = first; s < std::min(samples, first + block); ++s) {
      using weft::par::counter_rng;
      const auto b = counter_rng::draw(seed, s);
      const double x = counter_rng::to_uniform(counter_rng::join(b[0], b[1]));
      const double y = counter_rng::to_uniform(counter_rng::join(b[2], b[3]));
      p[(s - first) % 8] += f(x, y);
    }
    total = total + (((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7])));
  }
  return total / static_cast<double>(samples);
}

double serial_pi(std::uint64_t samples, std::uint64_t block, std::uint64_t seed) {
  return serial_estimate(samples, block, seed,
                         [](double x, double y) { return x * x + y * y < 1.0 ? 4.0 : 0.0; });
}

using weft::testing::world;

std::string bits_of(const weft::record& rec) {
  return rec.extra.at("estimate_bits").get<std::string>();
}

TEST(montecarlo, rounds_with_checkpoints_give_the_bits_of_one_uninterrupted_run) {
  const weft::testing::scratch_dir dir("weft-mc");
  const weft::json base = {{"samples", 300000}, {"block", 7000}, {"integrand", "gaussian"}};
  const auto reference = weft::testing::run_kernel("montecarlo", base);
  weft::json rounds = base;
  rounds["checkpoint"] = dir / "mc";
  rounds["checkpoint-every"] = 4;

  const auto rec = weft::testing::run_kernel("montecarlo", rounds);

  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  EXPECT_EQ(bits_of(rec), bits_of(reference));
  EXPECT_TRUE(std::filesystem::exists(dir / "mc.ckpt.00000043.h5"));  // the last round's
}

TEST(montecarlo, a_stopped_run_resumes_on_fewer_ranks_to_the_same_bits) {
  const weft::testing::scratch_dir dir("weft-mc");
  const weft::json base = {{"samples", 4000000}, {"block", 20000}};
  const auto reference = weft::testing::run_kernel("montecarlo", base);
  weft::json params = base;
  params["checkpoint"] = dir / "mc";
  params["checkpoint-every"] = 1;
  // Rank 0 signals itself once the first checkpoint exists.
  std::jthread signaller;
  if (world().rank() == 0) {
    signaller = std::jthread([&dir](std::stop_token stop) {
      while (!stop.stop_requested()) {
        for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
          if (e.path().filename().string().starts_with("mc.ckpt.")) {
            ::kill(::getpid(), SIGUSR1);
            return;
          }
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  }
  int code = 0;
  try {
    (void)weft::testing::run_kernel("montecarlo", params);
  } catch (const weft::error& e) {
    code = static_cast<int>(e.code());
  }
  signaller = {};
  ASSERT_EQ(code, 75);

  // The first half of the ranks (at least one) resume without the others.
  const bool in_half = world().rank() < std::max(1, world().size() / 2);
  const weft::comm half = world().split(in_half ? 0 : 1, world().rank());
  if (in_half) {
    params["restart"] = true;
    const auto resumed = weft::testing::run_kernel_on(half, "montecarlo", params);

    EXPECT_GT(resumed.extra.at("resumed_from_task").get<long long>(), 0);
    EXPECT_TRUE(resumed.check.passed) << resumed.check.detail;
    EXPECT_EQ(bits_of(resumed), bits_of(reference));
  }
  world().barrier();
}

TEST(montecarlo, restart_without_a_checkpoint_prefix_is_a_usage_error) {
  EXPECT_THROW(weft::testing::run_kernel("montecarlo", {{"samples", 1000}, {"restart", true}}),
               weft::usage_error);
}

TEST(montecarlo, estimates_pi_within_five_standard_errors) {
  const auto rec = weft::testing::run_kernel("montecarlo", {{"samples", 400000}, {"block", 4096}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  const auto* est = rec.find_metric("estimate");
  const auto* se = rec.find_metric("standard_error");
  ASSERT_NE(est, nullptr);
  ASSERT_NE(se, nullptr);
  EXPECT_NEAR(est->value, 3.14159265358979, 5 * se->value);
  EXPECT_GT(se->value, 0);
  EXPECT_GT(rec.find_metric("samples_per_second")->value, 0);
}

TEST(montecarlo, the_estimate_has_the_same_bits_as_a_serial_loop_at_any_layout) {
  const std::uint64_t samples = 300007, block = 1000, seed = 99;
  const auto rec = weft::testing::run_kernel(
      "montecarlo", {{"samples", samples}, {"block", block}, {"seed", seed}});
  const double expected = serial_pi(samples, block, seed);
  EXPECT_EQ(rec.extra["estimate_bits"].get<std::string>(),
            fmt::format("{:016x}", std::bit_cast<std::uint64_t>(expected)));
  EXPECT_EQ(rec.find_metric("estimate")->value, expected);
}

// pi's terms are 0 or 4, whose sums are exact in any order; sine's are not, so this pins
// the documented summation order itself.
TEST(montecarlo, a_non_integer_integrand_has_the_bits_of_the_documented_order_at_any_layout) {
  const std::uint64_t samples = 100003, block = 777, seed = 5;
  const auto rec = weft::testing::run_kernel(
      "montecarlo",
      {{"samples", samples}, {"block", block}, {"seed", seed}, {"integrand", "sine"}});
  const double pi = std::numbers::pi;
  const double expected = serial_estimate(samples, block, seed,
                                          [pi](double x, double) { return pi * std::sin(pi * x); });
  EXPECT_EQ(rec.extra["estimate_bits"].get<std::string>(),
            fmt::format("{:016x}", std::bit_cast<std::uint64_t>(expected)));
}

TEST(montecarlo, every_built_in_integrand_validates) {
  for (const std::string name : {"pi", "sine", "gaussian", "ball"}) {
    const auto rec = weft::testing::run_kernel(
        "montecarlo", {{"samples", 200000}, {"block", 5000}, {"integrand", name}});
    EXPECT_TRUE(rec.check.passed) << name << ": " << rec.check.detail;
    EXPECT_NE(rec.check.detail.find(name), std::string::npos) << rec.check.detail;
  }
}

TEST(montecarlo, a_different_seed_gives_a_different_estimate) {
  const auto a = weft::testing::run_kernel("montecarlo", {{"samples", 10000}, {"seed", 1}});
  const auto b = weft::testing::run_kernel("montecarlo", {{"samples", 10000}, {"seed", 2}});
  EXPECT_NE(a.find_metric("estimate")->value, b.find_metric("estimate")->value);
}

TEST(montecarlo, an_unknown_integrand_is_a_usage_error_on_every_rank) {
  try {
    weft::testing::run_kernel("montecarlo", {{"samples", 100}, {"integrand", "nosuch"}});
    FAIL() << "expected usage_error";
  } catch (const weft::usage_error& e) {
    EXPECT_TRUE(e.collective());
  }
}

}  // namespace
