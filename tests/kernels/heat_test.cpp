#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "kernel_support.hpp"
#include "weft/grid/dist_array.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"

namespace {

namespace fs = std::filesystem;
using weft::json;
using weft::testing::run_kernel;
using weft::testing::world;

using scratch = weft::testing::scratch_dir;

std::string hash_of(const weft::record& r) {
  return r.extra.at("field_hash").get<std::string>();
}

std::string column_grid(int axes) {
  std::string g = "1";
  for (int d = 1; d < axes - 1; ++d) g += "x1";
  return g + "x" + std::to_string(world().size());
}
std::string row_grid(int axes) {
  std::string g = std::to_string(world().size());
  for (int d = 1; d < axes; ++d) g += "x1";
  return g;
}

TEST(heat, a_generated_2d_field_decays_exactly_and_gives_the_same_bits_on_every_rank_grid) {
  const scratch dir;
  const json base = {
      {"shape", "24x20"}, {"steps", 30}, {"checkpoint-every", 0}, {"output", dir / "h"}};
  std::string first;
  for (const auto& grid : {std::string("auto"), column_grid(2), row_grid(2)}) {
    json p = base;
    p["grid"] = grid;
    const auto rec = run_kernel("heat", p);
    EXPECT_TRUE(rec.check.passed) << grid << ": " << rec.check.detail;
    if (first.empty()) first = hash_of(rec);
    EXPECT_EQ(hash_of(rec), first) << grid;
  }
}

TEST(heat, a_periodic_3d_field_decays_exactly_and_gives_the_same_bits_on_every_rank_grid) {
  const scratch dir;
  std::string first;
  for (const auto& grid : {std::string("auto"), column_grid(3), row_grid(3)}) {
    const auto rec = run_kernel("heat", {{"shape", "8x9x10"},
                                         {"boundary", "periodic"},
                                         {"steps", 12},
                                         {"checkpoint-every", 0},
                                         {"grid", grid},
                                         {"output", dir / "h"}});
    EXPECT_TRUE(rec.check.passed) << grid << ": " << rec.check.detail;
    if (first.empty()) first = hash_of(rec);
    EXPECT_EQ(hash_of(rec), first) << grid;
  }
}

TEST(heat, a_signal_on_one_rank_stops_every_rank_with_a_checkpoint_and_restart_is_bitwise_exact) {
  const scratch dir;
  const json params = {
      {"shape", "20x16"}, {"steps", 300}, {"checkpoint-every", 50}, {"output", dir / "h"}};
  json uninterrupted = params;
  uninterrupted["output"] = dir / "reference";
  uninterrupted["checkpoint-every"] = 0;
  const auto reference = run_kernel("heat", uninterrupted);

  // Rank 0 signals itself once the first checkpoint exists; the run is paced so that it
  // is still far from its end then.
  json paced = params;
  paced["pace-ms"] = 4.0;
  std::jthread signaller;
  if (world().rank() == 0) {
    signaller = std::jthread([&dir](std::stop_token stop) {
      while (!stop.stop_requested()) {
        for (const auto& e : fs::directory_iterator(dir.path())) {
          if (e.path().filename().string().rfind("h.ckpt.", 0) == 0) {
            ::kill(::getpid(), SIGUSR1);
            return;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  int code = 0;
  try {
    (void)run_kernel("heat", paced);
  } catch (const weft::error& e) {
    code = static_cast<int>(e.code());
    EXPECT_TRUE(e.collective());
    EXPECT_NE(std::string(e.what()).find("rerun with --restart"), std::string::npos) << e.what();
  }
  signaller = {};
  ASSERT_EQ(code, 75);

  json again = params;
  again["restart"] = true;
  const auto resumed = run_kernel("heat", again);

  EXPECT_GT(resumed.extra.at("resumed_from_step").get<long long>(), 0);
  EXPECT_LT(resumed.extra.at("resumed_from_step").get<long long>(), 300);
  EXPECT_TRUE(resumed.check.passed) << resumed.check.detail;
  EXPECT_EQ(hash_of(resumed), hash_of(reference));
}

// --restart before any checkpoint exists (a first submission of a requeued job) starts
// from the initial field: the same bits as a run without --restart.
TEST(heat, restart_without_a_checkpoint_starts_from_the_initial_field) {
  const scratch dir;
  const json p = {{"shape", "16x12"}, {"steps", 8}, {"checkpoint-every", 0}, {"output", dir / "a"}};
  const auto fresh = run_kernel("heat", p);
  json q = p;
  q["output"] = dir / "b";
  q["restart"] = true;
  const auto restarted = run_kernel("heat", q);
  EXPECT_TRUE(restarted.check.passed) << restarted.check.detail;
  EXPECT_EQ(restarted.extra["resumed_from_step"], 0);
  EXPECT_EQ(hash_of(restarted), hash_of(fresh));
}

TEST(heat, restart_refuses_a_checkpoint_written_with_other_parameters) {
  const scratch dir;
  (void)run_kernel(
      "heat", {{"shape", "12x12"}, {"steps", 10}, {"checkpoint-every", 5}, {"output", dir / "h"}});
  EXPECT_THROW(run_kernel("heat", {{"shape", "12x12"},
                                   {"steps", 10},
                                   {"alpha", 0.5},
                                   {"restart", true},
                                   {"output", dir / "h"}}),
               weft::usage_error);
}

TEST(heat, snapshots_form_one_time_series_with_an_xdmf_sidecar) {
  const scratch dir;
  const auto rec = run_kernel("heat", {{"shape", "10x12"},
                                       {"steps", 10},
                                       {"snapshot-every", 5},
                                       {"checkpoint-every", 0},
                                       {"output", dir / "h"}});
  ASSERT_TRUE(rec.check.passed) << rec.check.detail;
  bool ok = true;
  std::string problem;
  if (world().rank() == 0) {
    std::stringstream xdmf;
    xdmf << std::ifstream(dir / "h.xdmf").rdbuf();
    const std::string x = xdmf.str();
    for (const char* want :
         {"h.h5:/snapshots/step_00000000", "h.h5:/snapshots/step_00000005",
          "h.h5:/snapshots/step_00000010", "Dimensions=\"10 12\"", "CollectionType=\"Temporal\""}) {
      if (x.find(want) == std::string::npos) {
        ok = false;
        problem += std::string("xdmf lacks ") + want + "; ";
      }
    }
    const auto f = weft::io::open_file_serial(dir / "h.h5");
    if (H5Lexists(f.native_handle(), "/snapshots/step_00000010", H5P_DEFAULT) <= 0) {
      ok = false;
      problem += "no dataset for step 10";
    }
    ok = ok && fs::exists(dir / "h.final.h5");
  }
  EXPECT_TRUE(weft::testing::all_ranks(ok)) << problem;
}

TEST(heat, a_field_read_from_a_file_obeys_the_maximum_principle_and_periodic_conservation) {
  const scratch dir;
  {
    weft::grid::dist_array<double, 2> a(weft::grid::decomposition::over(world(), {16, 14}), 0);
    a.fill([](const std::array<weft::index_t, 2>& g) {
      return (g[0] - 8) * (g[0] - 8) + (g[1] - 5) * (g[1] - 5) < 12 ? 100.0 : 20.0;
    });
    weft::io::output_file out(world(), dir / "start.h5", true);
    {
      const auto d = weft::io::create_dataset(out.native_handle(), "/t",
                                              weft::io::element_type::f64, {16, 14});
      weft::io::write_block(d, a);
    }
    out.commit();
  }
  for (const char* boundary : {"dirichlet", "periodic"}) {
    const auto rec = run_kernel("heat", {{"input", dir / "start.h5:/t"},
                                         {"boundary", boundary},
                                         {"boundary-value", 20.0},
                                         {"steps", 25},
                                         {"checkpoint-every", 0},
                                         {"output", dir / "h"}});
    EXPECT_TRUE(rec.check.passed) << boundary << ": " << rec.check.detail;
  }
}

TEST(heat, refuses_an_unstable_time_step_and_a_missing_input_on_every_rank) {
  const scratch dir;
  EXPECT_THROW(run_kernel("heat", {{"shape", "8x8"}, {"dt", 0.3}, {"output", dir / "h"}}),
               weft::usage_error);
  EXPECT_THROW(run_kernel("heat", {{"input", dir / "nothing.h5:/t"}, {"output", dir / "h"}}),
               weft::input_error);
}

}  // namespace
