// Snapshot series: one dataset per step with its time, an XDMF sidecar listing every
// snapshot in the file, kept on resume and started afresh otherwise or when damaged.
#include "weft/io/snapshots.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "test_support.hpp"
#include "weft/io/file.hpp"

namespace {

using weft::index_t;
using weft::grid::decomposition;
using weft::grid::dist_array;
using weft::io::snapshot_options;
using weft::io::snapshot_series;
using weft::testing::world;

std::string read_text(const std::string& path) {
  std::stringstream s;
  s << std::ifstream(path).rdbuf();
  return s.str();
}

TEST(snapshot_series, lists_every_step_and_keeps_them_on_resume) {
  const weft::testing::scratch_dir dir("weft-snapshots");
  const std::string path = dir / "run.h5";
  dist_array<double, 2> a(decomposition::over(world(), {6, 4}), 1);
  const auto at = [&](long long step) {
    a.fill([step](const std::array<index_t, 2>& g) {
      return static_cast<double>(g[0] * 10 + g[1] + step);
    });
  };
  {
    snapshot_series s(world(), path, {6, 4}, {.attribute = "temperature"});
    for (const long long step : {0, 5}) {
      at(step);
      s.write(step, 0.5 * static_cast<double>(step), a);
    }
  }
  snapshot_series resumed(world(), path, {6, 4}, {.attribute = "temperature", .resume = true});
  at(10);
  resumed.write(10, 5.0, a);
  bool ok = true;
  if (world().rank() == 0) {
    EXPECT_EQ(resumed.steps().size(), 3u);
    EXPECT_EQ(resumed.steps().at(5), 2.5);
    const std::string x = read_text(dir / "run.xdmf");
    for (const char* want : {"run.h5:/snapshots/step_00000000", "run.h5:/snapshots/step_00000005",
                             "run.h5:/snapshots/step_00000010", "<Time Value=\"2.5\"/>",
                             "Name=\"temperature\"", "Dimensions=\"6 4\"", "Precision=\"8\""}) {
      EXPECT_NE(x.find(want), std::string::npos) << "xdmf lacks " << want;
      ok = ok && x.find(want) != std::string::npos;
    }
    const auto f = weft::io::open_file_serial(path);
    const auto d = f.open_dataset("/snapshots/step_00000010");
    EXPECT_EQ(d.read_number_attribute("time"), 5.0);
    EXPECT_EQ(d.read_number_attribute("step"), 10.0);
  }
  ASSERT_TRUE(weft::testing::all_ranks(ok));

  // Not resumed: a new series.
  snapshot_series fresh(world(), path, {6, 4});
  at(1);
  fresh.write(1, 0.1, a);
  if (world().rank() == 0) {
    const auto f = weft::io::open_file_serial(path);
    EXPECT_FALSE(f.contains("/snapshots/step_00000005"));
    EXPECT_TRUE(f.contains("/snapshots/step_00000001"));
  }
}

TEST(snapshot_series, a_damaged_file_starts_a_new_series) {
  const weft::testing::scratch_dir dir("weft-snapshots-bad");
  const std::string path = dir / "bad.h5";
  if (world().rank() == 0) std::ofstream(path) << "not HDF5 at all";
  world().barrier();
  dist_array<float, 1> a(decomposition::over(world(), {8}), 0);
  a.fill([](const std::array<index_t, 1>& g) { return static_cast<float>(g[0]); });
  snapshot_series s(world(), path, {8}, {.resume = true});
  s.write(3, 0.3, a);
  if (world().rank() == 0) {
    const std::string x = read_text(dir / "bad.xdmf");
    // 1-D fields are described as one row of a 2-D mesh; f32 as 4-byte floats.
    EXPECT_NE(x.find("Dimensions=\"1 8\""), std::string::npos);
    EXPECT_NE(x.find("Precision=\"4\""), std::string::npos);
    EXPECT_EQ(s.steps().size(), 1u);
  }
}

}  // namespace
