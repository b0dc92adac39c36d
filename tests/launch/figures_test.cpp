// Figures: program output to records, verdicts against references, compare of two results.
#include "launch/figures.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "launch/compare.hpp"
#include "weft/base/error.hpp"

namespace weft::launch {
namespace {

namespace fs = std::filesystem;

job_plan plan_of(const std::string& text) {
  plan_options o;
  o.weft = "/opt/weft";
  o.cores_per_node = 64;
  o.local = false;
  o.output = (fs::temp_directory_path() / "weft-figures-test").string();
  return make_plan(parse_spec(text, "t.toml"), o);
}

const char* program_spec = R"(name = "p"
[[step]]
name = "app"
program = ["/bin/app", "--n", "{n}"]
params = { n = 4 }
sanity = 'Result: OK'
metrics = [
  { name = "rate", regex = 'Rate: ([0-9.eE+-]+)', unit = "MB/s", better = "higher" },
  { name = "time", regex = 'Time: ([0-9.]+)', unit = "s", better = "lower" },
]
[[reference]]
system = "*"
step = "app"
metric = "rate"
value = 100
lower = 0.1
)";

TEST(program_record, the_last_match_of_each_pattern_is_the_figure_and_sanity_decides) {
  auto plan = plan_of(program_spec);
  plan.runs[0].record.clear();  // no record of the program's own
  const auto r =
      program_record(plan, plan.runs[0], "Rate: 1\nTime: 2.5\nRate: 9.5e1\nResult: OK\n", 0, 3.0);
  EXPECT_EQ(r.kernel, "app");
  EXPECT_EQ(r.parameters["n"], 4);
  ASSERT_EQ(r.metrics.size(), 2U);
  EXPECT_DOUBLE_EQ(r.metrics[0].value, 95.0);
  EXPECT_EQ(r.metrics[0].unit, "MB/s");
  EXPECT_DOUBLE_EQ(r.metrics[1].value, 2.5);
  EXPECT_FALSE(r.metrics[1].higher_is_better);
  EXPECT_TRUE(r.check.passed) << r.check.detail;
  ASSERT_EQ(r.phases.size(), 1U);
  EXPECT_DOUBLE_EQ(r.phases[0].max, 3.0);

  const auto insane = program_record(plan, plan.runs[0], "Rate: 5\nTime: 1\n", 0, 1.0);
  EXPECT_FALSE(insane.check.passed);
  EXPECT_NE(insane.check.detail.find("sanity pattern 'Result: OK'"), std::string::npos);

  const auto missing = program_record(plan, plan.runs[0], "Time: 1\nResult: OK\n", 0, 1.0);
  EXPECT_FALSE(missing.check.passed);
  EXPECT_NE(missing.check.detail.find("metric 'rate': its pattern matched nothing"),
            std::string::npos);

  const auto crashed = program_record(plan, plan.runs[0], "Rate: 5\nTime: 1\nResult: OK\n", 139, 1);
  EXPECT_FALSE(crashed.check.passed);
  EXPECT_NE(crashed.check.detail.find("exit code 139"), std::string::npos);
}

TEST(program_record, a_record_the_program_wrote_is_kept_and_patterns_add_to_it) {
  auto plan = plan_of(program_spec);
  fs::create_directories(fs::path(plan.runs[0].record).parent_path());
  record own;
  own.kernel = "myapp";
  own.metrics.push_back({"rate", 123.0, "MB/s", true, "own"});
  own.check.passed = true;
  own.check.method = "own check";
  std::ofstream(plan.runs[0].record) << own.to_json().dump();
  const auto r = program_record(plan, plan.runs[0], "Rate: 1\nTime: 2\nResult: OK\n", 0, 1.0);
  fs::remove(plan.runs[0].record);
  EXPECT_EQ(r.kernel, "myapp");
  ASSERT_EQ(r.metrics.size(), 2U);
  EXPECT_DOUBLE_EQ(r.metrics[0].value, 123.0);  // the program's own figure wins
  EXPECT_EQ(r.metrics[1].name, "time");
  EXPECT_TRUE(r.check.passed);
  EXPECT_NE(r.check.method.find("own check"), std::string::npos);
}

record with_rate(double rate, const std::string& host = "node01") {
  record r;
  r.kernel = "app";
  r.metrics.push_back({"rate", rate, "MB/s", true, ""});
  r.metrics.push_back({"time", 1.0, "s", false, ""});
  r.provenance["host"] = host;
  return r;
}

TEST(verdicts, a_reference_passes_within_its_tolerance_and_fails_outside) {
  const auto spec = parse_spec(program_spec, "t.toml");
  const system_id sys{"login", "", ""};
  const auto ok = verdicts(spec, with_rate(91), "app", "app", sys);
  EXPECT_EQ(ok[0]["verdict"], "pass");
  EXPECT_EQ(ok[1]["verdict"], "no reference");
  EXPECT_EQ(overall_verdict(ok), "pass");
  // lower = 0.1 of 100: 90 passes, 89.9 fails; no upper bound, so 1000 passes.
  EXPECT_EQ(verdicts(spec, with_rate(90), "app", "app", sys)[0]["verdict"], "pass");
  const auto bad = verdicts(spec, with_rate(89.9), "app", "app", sys);
  EXPECT_EQ(bad[0]["verdict"], "fail");
  EXPECT_EQ(overall_verdict(bad), "fail");
  ASSERT_EQ(verdict_failures(bad).size(), 1U);
  EXPECT_NE(verdict_failures(bad)[0].find("rate 89.9 MB/s is 10.1 % below the reference 100 MB/s "
                                          "(worse)"),
            std::string::npos)
      << verdict_failures(bad)[0];
  EXPECT_EQ(verdicts(spec, with_rate(1000), "app", "app", sys)[0]["verdict"], "pass");
  // Another step's metric of the same name has no reference.
  EXPECT_EQ(verdicts(spec, with_rate(1), "other", "other", sys)[0]["verdict"], "no reference");
}

TEST(verdicts, references_are_chosen_by_system_host_glob_or_cluster_and_partition) {
  const auto spec = parse_spec(R"(name = "p"
[[step]]
name = "app"
program = ["/bin/app"]
metrics = [{ name = "rate", regex = 'R: ([0-9.]+)', unit = "MB/s", better = "higher" }]
[[reference]]
system = "big:gpu*"
step = "app"
metric = "rate"
value = 1000
lower = 0.1
upper = 0.1
[[reference]]
system = "node*"
step = "app"
metric = "rate"
value = 10
lower = 0.5
unit = "GB/s"
)",
                               "t.toml");
  const system_id cluster{"login", "big", "gpu-a100"};
  const auto v = verdicts(spec, with_rate(1200, "c123"), "app", "app", cluster);
  EXPECT_EQ(v[0]["verdict"], "fail");  // above the upper bound
  EXPECT_EQ(v[0]["reference"], 1000.0);
  EXPECT_EQ(verdicts(spec, with_rate(1050, "c123"), "app", "app", cluster)[0]["verdict"], "pass");
  // The record's host decides the host glob; a unit that differs never passes.
  const system_id plain{"login", "", ""};
  const auto units = verdicts(spec, with_rate(10, "node07"), "app", "app", plain);
  EXPECT_EQ(units[0]["verdict"], "fail");
  EXPECT_NE(verdict_failures(units)[0].find("the reference is in GB/s, the metric in MB/s"),
            std::string::npos);
  EXPECT_EQ(verdicts(spec, with_rate(10, "laptop"), "app", "app", plain)[0]["verdict"],
            "no reference");
}

TEST(job_spec_references, bad_references_are_refused_with_file_line_and_key) {
  const auto error_of = [](const std::string& text) {
    try {
      (void)parse_spec(text, "t.toml");
    } catch (const spec_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string head = "name = \"p\"\n[[step]]\nname = \"a\"\nkernel = \"nstream\"\n";
  EXPECT_EQ(error_of(head + "[[reference]]\nmetric = \"bandwidth\"\nvalue = 1\n"),
            "t.toml:7: reference[1].value: give a tolerance: lower = 0.05 (5 % below passes), "
            "upper = ..., or both");
  EXPECT_EQ(
      error_of(head + "[[reference]]\nstep = \"b\"\nmetric = \"x\"\nvalue = 1\nlower = 0.1\n"),
      "t.toml:5: step: no step is named 'b'");
  EXPECT_EQ(error_of(head + "[[reference]]\nmetric = \"x\"\nvalue = 1\nlower = 2\n"),
            "t.toml:8: reference[1].lower: expected a fraction of the value, e.g. 0.05 for 5 % "
            "(lower at most 1)");
  EXPECT_EQ(error_of(head + "[[reference]]\nmetric = \"x\"\nvalue = 1\nlower = 0.1\nspeed = 3\n"),
            "t.toml:9: reference[1].speed: unknown key");
}

// Writes records of one metric for a step's point, one per value (repeats).
void write_records(const fs::path& dir, const std::string& step, int point, int points,
                   const std::string& metric, bool higher, const std::vector<double>& values) {
  fs::create_directories(dir / "runs");
  for (std::size_t i = 0; i < values.size(); ++i) {
    record r;
    r.kernel = "k";
    r.metrics.push_back({metric, values[i], "u", higher, ""});
    r.job = {{"step", step}, {"point", point}, {"points", points}, {"repeat", i}};
    std::ofstream(dir / "runs" /
                  (step + std::to_string(point) + "-" + metric + std::to_string(i) + ".json"))
        << r.to_json().dump();
  }
}

TEST(compare, medians_over_repeats_with_the_spread_as_noise_give_the_verdicts) {
  const fs::path root = fs::temp_directory_path() / "weft-compare-test";
  fs::remove_all(root);
  const auto old_dir = root / "old", new_dir = root / "new";
  write_records(old_dir, "bw", 0, 2, "rate", true, {100, 102, 98});
  write_records(new_dir, "bw", 0, 2, "rate", true, {120, 121, 119});
  write_records(old_dir, "bw", 1, 2, "rate", true, {100, 130, 90});  // spread 40 %
  write_records(new_dir, "bw", 1, 2, "rate", true, {115});
  write_records(old_dir, "t", 0, 1, "time", false, {2.0});
  write_records(new_dir, "t", 0, 1, "time", false, {2.5});
  write_records(old_dir, "gone", 0, 1, "x", true, {1});
  write_records(new_dir, "fresh", 0, 1, "y", true, {1});
  std::ofstream(old_dir / "runs" / "bw0.state.json") << "{\"status\": \"ok\"}";  // not a record

  const auto rows = compare_results(old_dir.string(), new_dir.string(), {});
  const auto row = [&](const std::string& run, const std::string& metric) {
    for (const auto& r : rows) {
      if (r.run == run && r.metric == metric) return r;
    }
    ADD_FAILURE() << "no row " << run << " " << metric;
    return compare_row{};
  };
  const auto faster = row("bw-p0", "rate");
  EXPECT_EQ(faster.old_count, 3);
  EXPECT_DOUBLE_EQ(faster.old_value, 100);
  EXPECT_DOUBLE_EQ(faster.new_value, 120);
  EXPECT_NEAR(faster.old_spread_percent, 4.0, 1e-12);
  EXPECT_NEAR(faster.change_percent, 20.0, 1e-12);
  EXPECT_EQ(faster.verdict, "better");
  EXPECT_EQ(row("bw-p1", "rate").verdict, "same");  // +15 % within a 40 % spread
  EXPECT_EQ(row("t", "time").verdict, "worse");     // lower is better, +25 %
  EXPECT_EQ(row("gone", "x").verdict, "only old");
  EXPECT_EQ(row("fresh", "y").verdict, "only new");
  EXPECT_EQ(rows.size(), 5U);
  // Without a noise floor, the same holds; with 30 %, the faster run is the same.
  compare_options wide;
  wide.noise_percent = 30;
  for (const auto& r : compare_results(old_dir.string(), new_dir.string(), wide)) {
    if (r.run == "bw-p0") {
      EXPECT_EQ(r.verdict, "same");
    }
  }
  const std::string csv = compare_csv(rows);
  EXPECT_NE(csv.find("bw-p0,,rate,u,higher,100,120,20.000,4.000,1.667,3,3,better"),
            std::string::npos)
      << csv;
  EXPECT_NE(compare_html(rows, "a<b", "c").find("a&lt;b"), std::string::npos);
  EXPECT_THROW((void)compare_results((root / "nosuch").string(), new_dir.string(), {}),
               input_error);
  fs::create_directories(root / "empty");
  EXPECT_THROW((void)compare_results((root / "empty").string(), new_dir.string(), {}), input_error);
  fs::remove_all(root);
}

}  // namespace
}  // namespace weft::launch
