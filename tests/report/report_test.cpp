// The report: records loaded from folders and files, scaling figures, and a page that
// escapes what records contain.
#include "report/report.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace weft::report {
namespace {

namespace fs = std::filesystem;

const std::string fixtures = WEFT_REPORT_FIXTURES;

std::vector<loaded_record> fixture_records() {
  return load_records({fixtures});
}

const scaling_series* find_series(const std::vector<scaling_series>& all,
                                  const std::string& title) {
  for (const auto& s : all) {
    if (s.title == title) return &s;
  }
  return nullptr;
}

TEST(load_records, a_results_folder_yields_its_records_and_skips_other_json) {
  const auto records = fixture_records();

  EXPECT_EQ(records.size(), 11U);  // provenance.json is not a record
}

TEST(load_records, a_file_that_is_not_a_record_is_bad_input) {
  EXPECT_THROW((void)load_records({fixtures + "/provenance.json"}), input_error);
  EXPECT_THROW((void)load_records({fixtures + "/no-such.json"}), input_error);
  const fs::path empty = fs::temp_directory_path() / "weft-report-empty";
  fs::create_directories(empty);
  EXPECT_THROW((void)load_records({empty.string()}), input_error);
  fs::remove_all(empty);
}

TEST(scaling, strong_scaling_takes_the_best_repeat_and_divides_by_the_workers) {
  const auto all = scaling(fixture_records());

  const auto* s = find_series(all, "fixture / strong");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->scaling, "strong");
  EXPECT_EQ(s->time_name, "time_per_iteration");
  ASSERT_EQ(s->points.size(), 3U);
  EXPECT_EQ(s->points[0].label, "1x1");
  EXPECT_EQ(s->points[1].label, "2x1");  // same workers as 1x2: more ranks first
  EXPECT_EQ(s->points[2].label, "1x2");
  EXPECT_DOUBLE_EQ(s->points[0].time_s, 0.040);
  EXPECT_DOUBLE_EQ(s->points[1].time_s, 0.024);
  EXPECT_NEAR(s->points[1].speedup, 0.040 / 0.024, 1e-12);
  EXPECT_NEAR(s->points[2].efficiency, 0.040 / 0.021 / 2, 1e-12);
}

TEST(scaling, weak_scaling_efficiency_is_the_base_time_over_the_time) {
  const auto all = scaling(fixture_records());

  const auto* s = find_series(all, "fixture / weak");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->points.size(), 3U);  // the growing length does not split the series
  EXPECT_NEAR(s->points[1].efficiency, 0.040 / 0.044, 1e-12);
  EXPECT_NEAR(s->points[1].speedup, 2 * 0.040 / 0.044, 1e-12);
}

TEST(scaling, a_sweep_over_nodes_is_one_series_whose_points_name_their_node_count) {
  std::vector<loaded_record> records;
  for (const auto& [nodes, seconds] : {std::pair{1, 0.040}, std::pair{2, 0.022}}) {
    loaded_record r;
    r.rec.kernel = "nstream";
    r.rec.placement.nodes = nodes;
    r.rec.placement.ranks = 2 * nodes;
    r.rec.job = {{"job", "j"}, {"step", "s"}, {"sweep", {{"nodes", nodes}, {"ranks", 2 * nodes}}}};
    r.rec.metrics = {
        {.name = "time_per_iteration", .value = seconds, .unit = "s", .higher_is_better = false}};
    records.push_back(r);
  }

  const auto all = scaling(records);
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].title, "j / s");
  ASSERT_EQ(all[0].points.size(), 2U);
  EXPECT_EQ(all[0].points[0].label, "1:2x1");
  EXPECT_EQ(all[0].points[1].label, "2:4x1");
  EXPECT_EQ(all[0].points[1].nodes, 2);
  EXPECT_NEAR(all[0].points[1].speedup, 0.040 / 0.022, 1e-12);
}

TEST(scaling, runs_at_a_single_layout_make_no_series) {
  const auto all = scaling(fixture_records());

  EXPECT_EQ(all.size(), 2U);
}

TEST(run_time, falls_back_to_the_sum_of_the_slowest_phase_times) {
  record rec;
  rec.phases = {{.phase = "a", .max = 1.5}, {.phase = "b", .max = 0.5}};
  rec.metrics = {{.name = "rate", .value = 3, .unit = "GFlop/s"}};
  std::string name;

  EXPECT_DOUBLE_EQ(run_time(rec, &name), 2.0);
  EXPECT_EQ(name, "sum of phase times (slowest rank)");
  EXPECT_LT(run_time(record{}), 0);
}

TEST(render_html, the_page_inlines_the_library_and_escapes_what_records_contain) {
  const auto page = render_html(fixture_records(), options{}, "/*! Chart.js v3.9.1 */ var Chart;");

  // scaling (2 x 3) + one per phase (5) + 2 per-size columns + roofline
  EXPECT_EQ(page.charts, 14);
  EXPECT_NE(page.html.find("var Chart;"), std::string::npos);
  EXPECT_NE(page.html.find("Chart.js v3.9.1"), std::string::npos);
  EXPECT_NE(page.html.find("MIT"), std::string::npos);
  EXPECT_NE(page.html.find("&lt;/script&gt;&lt;script&gt;alert(1)"), std::string::npos);
  EXPECT_EQ(page.html.find("<script>alert(1)"), std::string::npos);
  EXPECT_EQ(page.html.find("http://"), std::string::npos);  // nothing to fetch
  EXPECT_NE(page.html.find("data-charts-expected=\"14\""), std::string::npos);
}

TEST(render_html, history_draws_a_trend_per_step_and_failed_runs_show_their_log) {
  job_context context;
  for (const auto* time : {"2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"}) {
    for (const double rate : {10.0, 12.0}) {  // two repeats: the best of them is drawn
      context.history.push_back(
          {{"schema", "weft.history/1"},
           {"job_time", time},
           {"step", "ring"},
           {"run", "ring-p0-r0"},
           {"metrics",
            {{"rate", {{"value", rate}, {"unit", "MB/s"}, {"better", "higher"}}},
             {"time", {{"value", 1.0}, {"unit", "s"}, {"better", "lower"}}}}}});
    }
  }
  context.issues.push_back({"ring-p1-r0", "timed-out", 75, 4.2, "last words of the log\n"});
  const auto plain = render_html(fixture_records(), options{}, "var Chart;");
  const auto page = render_html(fixture_records(), options{}, "var Chart;", context);

  EXPECT_EQ(page.charts, plain.charts + 1);  // one trend: ring's headline metric only
  EXPECT_NE(page.html.find("<h2>Trends</h2>"), std::string::npos);
  EXPECT_NE(page.html.find("ring: rate"), std::string::npos);
  EXPECT_EQ(page.html.find("ring: time"), std::string::npos);
  EXPECT_NE(page.html.find("ring-p1-r0: timed-out"), std::string::npos);
  EXPECT_NE(page.html.find("last words of the log"), std::string::npos);
  EXPECT_EQ(plain.html.find("<h2>Trends</h2>"), std::string::npos);
}

TEST(render_html, without_a_flop_rate_there_is_no_roofline_and_the_page_says_why) {
  auto records = fixture_records();
  std::erase_if(records, [](const loaded_record& r) { return r.rec.kernel == "stencil"; });

  const auto page = render_html(records, options{}, "var Chart;");

  EXPECT_NE(page.html.find("No roofline: no record reports a GFlop/s rate"), std::string::npos);
  EXPECT_EQ(page.charts, 10);  // the roofline and the phase charts only stencil has go
}

TEST(write_report, an_output_in_a_missing_folder_is_a_usage_error_and_nothing_is_created) {
  options o;
  const auto missing = fs::temp_directory_path() / "weft-report-no-such-folder";
  fs::remove_all(missing);
  o.output = (missing / "x.html").string();
  o.chartjs = "/dev/null";

  EXPECT_THROW((void)write_report({fixtures}, o), usage_error);
  EXPECT_FALSE(fs::exists(missing));
}

TEST(load_records, a_file_that_claims_the_schema_but_breaks_it_names_the_field) {
  const auto f = fs::temp_directory_path() / "weft-report-broken-record.json";
  {
    std::ofstream out(f);
    out << R"({"schema": "weft.record/1", "kernel": "x", "metrics": [{"name": "a", "value": "fast"}]})";
  }

  try {
    (void)load_records({f.string()});
    FAIL() << "no error";
  } catch (const input_error& e) {
    EXPECT_NE(std::string(e.what()).find("'metrics[0].value' is not a number"), std::string::npos)
        << e.what();
  }
  fs::remove(f);
}

TEST(write_report, a_missing_chart_library_is_reported_with_the_package_to_install) {
  options o;
  o.output = (fs::temp_directory_path() / "weft-report-unused.html").string();
  o.chartjs = "/no/such/chart.min.js";

  try {
    (void)write_report({fixtures}, o);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("libjs-chart.js"), std::string::npos);
  }
}

}  // namespace
}  // namespace weft::report
