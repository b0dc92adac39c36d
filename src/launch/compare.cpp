#include "launch/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "launch/results.hpp"
#include "weft/base/error.hpp"
#include "weft/base/html.hpp"
#include "weft/base/record.hpp"

namespace weft::launch {

namespace fs = std::filesystem;

namespace {

struct series {
  std::string sweep;
  std::string unit;
  bool higher_is_better = true;
  std::vector<double> values;
};

// run key -> metric -> values over repeats.
using grouped = std::map<std::string, std::map<std::string, series>>;

std::string sweep_text(const json& sweep) {
  std::string out;
  if (!sweep.is_object()) return out;
  for (const auto& [k, v] : sweep.items()) {
    if (!out.empty()) out += ' ';
    out += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

grouped load(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw input_error(
        fmt::format("{}: no such results folder (give the folders of two runs "
                    "of weft job, e.g. results/old results/new)",
                    dir));
  }
  // A results folder keeps its records in runs/; any other folder is searched whole.
  const fs::path root =
      fs::is_directory(fs::path(dir) / "runs", ec) ? fs::path(dir) / "runs" : fs::path(dir);
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root, ec)) {
    if (e.is_regular_file(ec) && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  grouped out;
  int records = 0;
  for (const auto& f : files) {
    std::optional<record> r;
    try {
      r = read_record(f);
    } catch (const input_error&) {
      continue;  // state files, provenance: not records
    }
    ++records;
    std::string key = f.stem().string();
    std::string sweep;
    if (r->job.contains("step") && r->job["step"].is_string()) {
      key = r->job["step"].get<std::string>();
      if (r->job.value("points", 1) > 1) key += fmt::format("-p{}", r->job.value("point", 0));
      sweep = sweep_text(r->job.value("sweep", json::object()));
    }
    for (const auto& m : r->metrics) {
      auto& s = out[key][m.name];
      s.sweep = sweep;
      s.unit = m.unit;
      s.higher_is_better = m.higher_is_better;
      if (std::isfinite(m.value)) s.values.push_back(m.value);
    }
  }
  if (records == 0) {
    throw input_error(
        fmt::format("{}: no weft records here (a results folder of weft job "
                    "holds them in runs/)",
                    dir));
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  if (n == 0) return 0;
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double spread_percent(const std::vector<double>& v, double mid) {
  if (v.size() < 2 || mid == 0) return 0;
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return 100.0 * (*hi - *lo) / std::abs(mid);
}

std::string number(double v) {
  return fmt::format("{:.4g}", v);
}

}  // namespace

std::vector<compare_row> compare_results(const std::string& old_dir, const std::string& new_dir,
                                         const compare_options& options) {
  const grouped before = load(old_dir);
  const grouped after = load(new_dir);
  std::vector<compare_row> rows;
  const auto row_of = [&](const std::string& run, const std::string& metric, const series* o,
                          const series* n) {
    compare_row r;
    r.run = run;
    r.metric = metric;
    const series& any = o ? *o : *n;
    r.sweep = any.sweep;
    r.unit = any.unit;
    r.higher_is_better = any.higher_is_better;
    if (o) {
      r.old_count = static_cast<int>(o->values.size());
      r.old_value = median(o->values);
      r.old_spread_percent = spread_percent(o->values, r.old_value);
    }
    if (n) {
      r.new_count = static_cast<int>(n->values.size());
      r.new_value = median(n->values);
      r.new_spread_percent = spread_percent(n->values, r.new_value);
    }
    if (!o || r.old_count == 0) {
      r.verdict = "only new";
    } else if (!n || r.new_count == 0) {
      r.verdict = "only old";
    } else {
      r.change_percent =
          r.old_value != 0 ? 100.0 * (r.new_value - r.old_value) / std::abs(r.old_value) : 0;
      const double noise =
          std::max({options.noise_percent, r.old_spread_percent, r.new_spread_percent});
      if (std::abs(r.change_percent) <= noise) {
        r.verdict = "same";
      } else {
        r.verdict = (r.change_percent > 0) == r.higher_is_better ? "better" : "worse";
      }
    }
    rows.push_back(r);
  };
  for (const auto& [run, metrics] : before) {
    for (const auto& [metric, s] : metrics) {
      const series* n = nullptr;
      if (const auto it = after.find(run); it != after.end()) {
        if (const auto m = it->second.find(metric); m != it->second.end()) n = &m->second;
      }
      row_of(run, metric, &s, n);
    }
  }
  for (const auto& [run, metrics] : after) {
    for (const auto& [metric, s] : metrics) {
      const auto it = before.find(run);
      if (it == before.end() || it->second.count(metric) == 0) row_of(run, metric, nullptr, &s);
    }
  }
  return rows;
}

std::string compare_text(const std::vector<compare_row>& rows, const std::string& old_dir,
                         const std::string& new_dir) {
  std::size_t run_w = 3, metric_w = 6;
  for (const auto& r : rows) {
    run_w = std::max(run_w, r.run.size());
    metric_w = std::max(metric_w, r.metric.size());
  }
  std::string out = fmt::format("old: {}\nnew: {}\n", old_dir, new_dir);
  out += fmt::format("{:<{}}  {:<{}}  {:>12}  {:>12}  {:>8}  {:>7}  {:<8}  {}\n", "run", run_w,
                     "metric", metric_w, "old", "new", "change", "noise", "verdict", "unit");
  int counts[3] = {0, 0, 0};
  for (const auto& r : rows) {
    const bool both = r.old_count > 0 && r.new_count > 0;
    out += fmt::format(
        "{:<{}}  {:<{}}  {:>12}  {:>12}  {:>8}  {:>7}  {:<8}  {}{}\n", r.run, run_w, r.metric,
        metric_w, r.old_count > 0 ? number(r.old_value) : "-",
        r.new_count > 0 ? number(r.new_value) : "-",
        both ? fmt::format("{:+.1f}%", r.change_percent) : "",
        both ? fmt::format("{:.1f}%", std::max(r.old_spread_percent, r.new_spread_percent)) : "",
        r.verdict, r.unit, r.higher_is_better ? " (higher is better)" : " (lower is better)");
    if (r.verdict == "better") ++counts[0];
    if (r.verdict == "worse") ++counts[1];
    if (r.verdict == "same") ++counts[2];
  }
  out += fmt::format("{} better, {} worse, {} same, {} unmatched\n", counts[0], counts[1],
                     counts[2], rows.size() - counts[0] - counts[1] - counts[2]);
  return out;
}

std::string compare_csv(const std::vector<compare_row>& rows) {
  std::string out =
      "run,sweep,metric,unit,better,old,new,change_percent,old_spread_percent,"
      "new_spread_percent,old_repeats,new_repeats,verdict\n";
  for (const auto& r : rows) {
    const bool both = r.old_count > 0 && r.new_count > 0;
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(r.run), csv_field(r.sweep),
        csv_field(r.metric), csv_field(r.unit), r.higher_is_better ? "higher" : "lower",
        r.old_count > 0 ? fmt::format("{}", r.old_value) : "",
        r.new_count > 0 ? fmt::format("{}", r.new_value) : "",
        both ? fmt::format("{:.3f}", r.change_percent) : "",
        fmt::format("{:.3f}", r.old_spread_percent), fmt::format("{:.3f}", r.new_spread_percent),
        r.old_count, r.new_count, r.verdict);
  }
  return out;
}

std::string compare_html(const std::vector<compare_row>& rows, const std::string& old_dir,
                         const std::string& new_dir) {
  std::string out = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>weft compare</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;max-width:1240px;color:#222}
table{border-collapse:collapse;width:100%}th,td{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.better{background:#d9f2dc}.worse{background:#f8d7d3}.same{color:#555}.only{color:#888;font-style:italic}
caption{text-align:left;margin-bottom:.5em;color:#555}
</style></head><body>
<h1>weft compare</h1>
)";
  out += fmt::format("<p>old: <code>{}</code><br>new: <code>{}</code></p>\n", html_escape(old_dir),
                     html_escape(new_dir));
  int better = 0, worse = 0, same = 0;
  for (const auto& r : rows) {
    better += r.verdict == "better" ? 1 : 0;
    worse += r.verdict == "worse" ? 1 : 0;
    same += r.verdict == "same" ? 1 : 0;
  }
  out += fmt::format(
      "<p><b>{} better, {} worse, {} same</b>, {} unmatched. Figures are medians "
      "over repeats; a change within the noise (the larger spread of the two "
      "sides, at least the noise floor) is the same.</p>\n",
      better, worse, same, rows.size() - better - worse - same);
  out +=
      "<table><thead><tr><th>run</th><th>sweep</th><th>metric</th><th>old</th><th>new</th>"
      "<th>change</th><th>noise</th><th>verdict</th><th>unit</th></tr></thead><tbody>\n";
  for (const auto& r : rows) {
    const bool both = r.old_count > 0 && r.new_count > 0;
    const std::string cls = r.verdict.rfind("only", 0) == 0 ? "only" : r.verdict;
    out += fmt::format(
        "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td "
        "class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{} "
        "({} is better)</td></tr>\n",
        cls, html_escape(r.run), html_escape(r.sweep), html_escape(r.metric),
        r.old_count > 0 ? number(r.old_value) : "&ndash;",
        r.new_count > 0 ? number(r.new_value) : "&ndash;",
        both ? fmt::format("{:+.1f}&nbsp;%", r.change_percent) : "",
        both ? fmt::format("{:.1f}&nbsp;%", std::max(r.old_spread_percent, r.new_spread_percent))
             : "",
        html_escape(r.verdict), html_escape(r.unit), r.higher_is_better ? "higher" : "lower");
  }
  out += "</tbody></table>\n</body></html>\n";
  return out;
}

}  // namespace weft::launch
