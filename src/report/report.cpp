#include "report/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "weft/core/utc_time.hpp"

namespace weft::report {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_record(const json& j) {
  return j.is_object() && j.value("schema", "") == "weft.record/1" && j.contains("kernel");
}

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// JSON that can sit inside a <script> element.
std::string script_json(const json& j) {
  std::string s = j.dump(-1, ' ', true, json::error_handler_t::replace);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string text_of(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string run_label(const loaded_record& r) {
  if (r.data.contains("job") && r.data["job"].contains("run")) {
    return text_of(r.data["job"]["run"]);
  }
  return fs::path(r.source).stem().string();
}

int ranks_of(const json& rec) {
  return rec.contains("layout") ? rec["layout"].value("ranks", 1) : 1;
}
int threads_of(const json& rec) {
  return rec.contains("layout") ? rec["layout"].value("threads_per_rank", 1) : 1;
}

const json* find_metric(const json& rec, const std::function<bool(const json&)>& pred) {
  if (!rec.contains("metrics") || !rec["metrics"].is_array()) return nullptr;
  for (const auto& m : rec["metrics"]) {
    if (m.is_object() && m.contains("value") && m["value"].is_number() && pred(m)) return &m;
  }
  return nullptr;
}

// GFlop/s of a record, or < 0.
double gflops_of(const json& rec) {
  double scale = 0;
  const json* m = find_metric(rec, [&](const json& x) {
    const std::string u = x.value("unit", "");
    scale = u == "GFlop/s" ? 1 : u == "MFlop/s" ? 1e-3 : u == "TFlop/s" ? 1e3 : 0;
    return scale > 0;
  });
  return m ? (*m)["value"].get<double>() * scale : -1;
}

double intensity_of(const json& rec, double gflops) {
  if (const json* m = find_metric(rec, [](const json& x) {
        const std::string u = x.value("unit", "");
        return u == "flop/B" || u == "Flop/B" || u == "flop/byte";
      })) {
    return (*m)["value"].get<double>();
  }
  if (const json* m =
          find_metric(rec, [](const json& x) { return x.value("unit", "") == "GB/s"; })) {
    const double gbs = (*m)["value"].get<double>();
    if (gbs > 0) return gflops / gbs;
  }
  return -1;
}

const std::vector<std::string> palette = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                          "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

json axis(const std::string& title, bool log = false) {
  json a = {{"title", {{"display", true}, {"text", title}}}};
  if (log) a["type"] = "logarithmic";
  return a;
}

struct page {
  std::vector<json> charts;
  std::string html;

  void chart(const std::string& title, json config, const std::string& css = "chart") {
    const std::string id = fmt::format("chart-{}", charts.size());
    config["options"]["responsive"] = true;
    config["options"]["maintainAspectRatio"] = false;
    config["options"]["plugins"]["title"] = {{"display", true}, {"text", title}};
    charts.push_back({{"id", id}, {"config", config}});
    html += fmt::format("<div class=\"{}\"><canvas id=\"{}\" aria-label=\"{}\"></canvas></div>\n",
                        css, id, escape(title));
  }
};

const char* page_script = R"JS(
(function () {
  var status = document.getElementById('weft-status');
  var errors = [];
  function fail(message) {
    errors.push(String(message));
    status.setAttribute('data-errors', errors.join(' | '));
  }
  window.addEventListener('error', function (e) { fail(e.message); });
  try {
    var data = JSON.parse(document.getElementById('weft-data').textContent);
    var drawn = 0;
    // Marks each chart once it has rendered pixels, so a browser test can tell.
    Chart.register({
      id: 'weftDrawn',
      afterRender: function (chart) {
        if (chart.$weftDrawn) return;
        var canvas = chart.canvas;
        var pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        var painted = 0;
        for (var i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
        if (painted === 0) return;
        chart.$weftDrawn = true;
        canvas.setAttribute('data-drawn', 'true');
        canvas.setAttribute('data-painted-pixels', String(painted));
        drawn++;
        status.setAttribute('data-charts-drawn', String(drawn));
      }
    });
    Chart.defaults.animation = false;
    data.charts.forEach(function (c) {
      new Chart(document.getElementById(c.id), c.config);
    });
  } catch (e) {
    fail(e && e.message ? e.message : e);
  }
  status.setAttribute('data-done', 'true');
})();
)JS";

const char* page_style = R"CSS(
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.9rem; width: 100%; }
th, td { border-bottom: 1px solid #eee; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.fail { color: #b00; font-weight: bold; } .ok { color: #070; }
.chart { position: relative; height: 320px; margin: 1rem 0; }
.trio { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1rem; }
.trio .chart { height: 280px; }
.note { color: #666; font-size: 0.9rem; }
details pre { white-space: pre-wrap; font-size: 0.8rem; }
)CSS";

const char* mit_licence = R"(The MIT License (MIT)

Copyright (c) 2014-2022 Chart.js Contributors

Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.)";

std::string format_number(double v) {
  if (v == 0) return "0";
  const double a = std::abs(v);
  if (a >= 1e6 || a < 1e-3) return fmt::format("{:.4g}", v);
  if (a >= 100) return fmt::format("{:.1f}", v);
  return fmt::format("{:.4g}", v);
}

void runs_table(page& p, const std::vector<loaded_record>& records) {
  p.html +=
      "<h2>Runs</h2>\n<table><thead><tr><th>run</th><th>job / step</th><th>kernel</th>"
      "<th>ranks × threads</th><th>parameters</th><th>result</th><th>time (s)</th>"
      "<th>validation</th></tr></thead><tbody>\n";
  for (const auto& r : records) {
    const json& d = r.data;
    std::string job;
    if (d.contains("job") && d["job"].is_object()) {
      job = text_of(d["job"].value("job", json(""))) + " / " +
            text_of(d["job"].value("step", json("")));
    }
    std::string params;
    if (d.contains("parameters") && d["parameters"].is_object()) {
      for (const auto& [k, v] : d["parameters"].items()) {
        params += (params.empty() ? "" : ", ") + k + "=" + text_of(v);
      }
    }
    std::string result;
    if (const json* m = find_metric(d, [](const json&) { return true; })) {
      result = fmt::format("{} {} {}", text_of(m->value("name", json(""))),
                           format_number((*m)["value"].get<double>()),
                           text_of(m->value("unit", json(""))));
    }
    const double t = run_time(d);
    const bool passed = d.contains("validation") && d["validation"].is_object() &&
                        d["validation"].value("passed", false);
    const int nodes = d.contains("layout") ? d["layout"].value("nodes", 1) : 1;
    p.html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} × {}{}</td><td>{}</td>"
        "<td>{}</td><td class=\"num\">{}</td><td class=\"{}\">{}</td></tr>\n",
        escape(run_label(r)), escape(job), escape(text_of(d["kernel"])), ranks_of(d), threads_of(d),
        nodes > 1 ? fmt::format(" on {} nodes", nodes) : "", escape(params), escape(result),
        t >= 0 ? format_number(t) : "", passed ? "ok" : "fail", passed ? "passed" : "FAILED");
  }
  p.html += "</tbody></table>\n";
}

void scaling_section(page& p, const std::vector<loaded_record>& records) {
  const auto series = scaling(records);
  p.html += "<h2>Scaling</h2>\n";
  if (series.empty()) {
    p.html += "<p class=\"note\">No sweep over ranks or threads in these results.</p>\n";
    return;
  }
  for (const auto& s : series) {
    p.html += fmt::format("<h3>{} <span class=\"note\">({} scaling; time: {})</span></h3>\n",
                          escape(s.title), escape(s.scaling), escape(s.time_name));
    json labels = json::array(), time = json::array(), speedup = json::array(),
         efficiency = json::array(), ideal_speedup = json::array(), ideal_eff = json::array();
    const double base_workers = s.points.front().ranks * s.points.front().threads;
    for (const auto& pt : s.points) {
      labels.push_back(pt.label);
      time.push_back(pt.time_s);
      speedup.push_back(pt.speedup);
      efficiency.push_back(pt.efficiency * 100);
      ideal_speedup.push_back(pt.ranks * pt.threads / base_workers);
      ideal_eff.push_back(100);
    }
    const auto line = [](const std::string& label, const json& data, const std::string& color,
                         bool dashed) {
      json d = {{"label", label},
                {"data", data},
                {"borderColor", color},
                {"backgroundColor", color},
                {"tension", 0}};
      if (dashed) d["borderDash"] = {6, 4};
      return d;
    };
    p.html += "<div class=\"trio\">\n";
    p.chart("time (s)",
            {{"type", "line"},
             {"data", {{"labels", labels}, {"datasets", {line("time", time, palette[0], false)}}}},
             {"options", {{"scales", {{"x", axis("ranks x threads")}, {"y", axis("s")}}}}}});
    p.chart(s.scaling == "weak" ? "scaled speedup" : "speedup",
            {{"type", "line"},
             {"data",
              {{"labels", labels},
               {"datasets",
                {line("measured", speedup, palette[1], false),
                 line("ideal", ideal_speedup, palette[8], true)}}}},
             {"options", {{"scales", {{"x", axis("ranks x threads")}, {"y", axis("x")}}}}}});
    p.chart("parallel efficiency (%)",
            {{"type", "line"},
             {"data",
              {{"labels", labels},
               {"datasets",
                {line("measured", efficiency, palette[2], false),
                 line("ideal", ideal_eff, palette[8], true)}}}},
             {"options", {{"scales", {{"x", axis("ranks x threads")}, {"y", axis("%")}}}}}});
    p.html += "</div>\n";
  }
}

void phases_section(page& p, const std::vector<loaded_record>& records) {
  p.html += "<h2>Time per phase</h2>\n";
  std::vector<std::string> phase_names;
  json labels = json::array();
  std::vector<const loaded_record*> with_phases;
  for (const auto& r : records) {
    if (!r.data.contains("phases") || !r.data["phases"].is_array() || r.data["phases"].empty()) {
      continue;
    }
    with_phases.push_back(&r);
    labels.push_back(run_label(r));
    for (const auto& ph : r.data["phases"]) {
      const std::string n = text_of(ph.value("phase", json("?")));
      if (std::find(phase_names.begin(), phase_names.end(), n) == phase_names.end()) {
        phase_names.push_back(n);
      }
    }
  }
  if (with_phases.empty()) {
    p.html += "<p class=\"note\">No record has phase timings.</p>\n";
    return;
  }
  p.html +=
      "<p class=\"note\">Bars span the fastest to the slowest rank (min–max); the dots "
      "are the mean over ranks. A long bar means imbalance.</p>\n";
  json datasets = json::array();
  for (std::size_t i = 0; i < phase_names.size(); ++i) {
    json range = json::array(), mean = json::array();
    for (const auto* r : with_phases) {
      json lo = nullptr, hi = nullptr, mid = nullptr;
      for (const auto& ph : r->data["phases"]) {
        if (text_of(ph.value("phase", json("?"))) != phase_names[i]) continue;
        lo = ph.value("min_s", 0.0);
        hi = ph.value("max_s", 0.0);
        mid = ph.value("mean_s", 0.0);
        // A zero-width bar would not show: give it a hairline.
        if (hi.get<double>() <= lo.get<double>()) hi = lo.get<double>() * 1.001 + 1e-9;
      }
      range.push_back(lo.is_null() ? json(nullptr) : json::array({lo, hi}));
      mean.push_back(mid);
    }
    const std::string& color = palette[i % palette.size()];
    datasets.push_back({{"type", "bar"},
                        {"label", phase_names[i] + " min–max"},
                        {"data", range},
                        {"backgroundColor", color + "99"},
                        {"borderColor", color},
                        {"borderWidth", 1}});
    datasets.push_back({{"type", "line"},
                        {"label", phase_names[i] + " mean"},
                        {"data", mean},
                        {"showLine", false},
                        {"pointRadius", 4},
                        {"borderColor", color},
                        {"backgroundColor", color}});
  }
  p.chart("phase time over ranks (s)",
          {{"type", "bar"},
           {"data", {{"labels", labels}, {"datasets", datasets}}},
           {"options", {{"scales", {{"x", axis("run")}, {"y", axis("s")}}}}}});
}

void tables_section(page& p, const std::vector<loaded_record>& records) {
  // table name -> column -> datasets (one per record)
  std::map<std::string, std::map<std::string, json>> charts;
  std::map<std::string, std::string> x_names;
  // Columns whose positive values span more than two decades get a logarithmic axis.
  std::map<std::string, std::pair<double, double>> y_range;
  int colour = 0;
  for (const auto& r : records) {
    if (!r.data.contains("tables") || !r.data["tables"].is_array()) continue;
    for (const auto& t : r.data["tables"]) {
      const auto& cols = t.value("columns", json::array());
      const auto& rows = t.value("rows", json::array());
      if (cols.size() < 2 || rows.empty()) continue;
      const std::string name =
          text_of(r.data["kernel"]) + ": " + text_of(t.value("name", json("")));
      x_names[name] = text_of(cols[0]);
      const std::string& color = palette[colour++ % palette.size()];
      for (std::size_t c = 1; c < cols.size(); ++c) {
        const std::string col = text_of(cols[c]);
        if (col == "iterations") continue;
        json pts = json::array();
        for (const auto& row : rows) {
          if (!row.is_array() || row.size() <= c) continue;
          const double x = row[0].get<double>();
          if (x <= 0) continue;  // sizes go on a logarithmic axis: leave out a zero size
          const double y = row[c].get<double>();
          auto& range = y_range.try_emplace(name + "\n" + col, y, y).first->second;
          range = {std::min(range.first, y), std::max(range.second, y)};
          pts.push_back({{"x", x}, {"y", row[c]}});
        }
        auto& ds = charts[name][col];
        if (ds.is_null()) ds = json::array();
        ds.push_back({{"label", run_label(r)},
                      {"data", pts},
                      {"borderColor", color},
                      {"backgroundColor", color},
                      {"showLine", true}});
      }
    }
  }
  if (charts.empty()) return;
  p.html += "<h2>Per-size results</h2>\n";
  for (const auto& [name, cols] : charts) {
    p.html += fmt::format("<h3>{}</h3>\n", escape(name));
    for (const auto& [col, datasets] : cols) {
      const auto [lo, hi] = y_range[name + "\n" + col];
      const bool log_y = lo > 0 && hi > 100 * lo;
      p.chart(col, {{"type", "scatter"},
                    {"data", {{"datasets", datasets}}},
                    {"options",
                     {{"scales", {{"x", axis(x_names[name], true)}, {"y", axis(col, log_y)}}}}}});
    }
  }
}

void roofline_section(page& p, const std::vector<loaded_record>& records, const options& opts) {
  p.html += "<h2>Roofline</h2>\n";
  double bandwidth = opts.bandwidth_gbs;
  std::string bandwidth_from = "--bandwidth";
  if (bandwidth <= 0) {
    for (const auto& r : records) {
      if (text_of(r.data["kernel"]) != "nstream") continue;
      if (const json* m = find_metric(r.data, [](const json& x) {
            return x.value("name", "") == "bandwidth" && x.value("unit", "") == "GB/s";
          })) {
        if ((*m)["value"].get<double>() > bandwidth) {
          bandwidth = (*m)["value"].get<double>();
          bandwidth_from = "best nstream run, " + run_label(r);
        }
      }
    }
  }
  struct point {
    std::string label;
    double ai, gflops;
  };
  std::vector<point> points;
  std::string unplaced;  // rates without an intensity cannot be placed
  for (const auto& r : records) {
    const double g = gflops_of(r.data);
    if (g <= 0) continue;
    const double ai = intensity_of(r.data, g);
    if (ai > 0) {
      points.push_back({run_label(r), ai, g});
    } else {
      unplaced += fmt::format("{}{} ({} GFlop/s)", unplaced.empty() ? "" : ", ", run_label(r),
                              format_number(g));
    }
  }
  if (!unplaced.empty()) {
    p.html +=
        "<p class=\"note\">Not placed (a rate but no arithmetic intensity: a flop/B or "
        "GB/s metric would place them): " +
        escape(unplaced) + ".</p>\n";
  }
  if (points.empty() || bandwidth <= 0) {
    p.html += fmt::format(
        "<p class=\"note\">No roofline: {}.</p>\n",
        points.empty() ? "no record reports a GFlop/s rate with an arithmetic intensity (flop/B) "
                         "or a GB/s figure to derive it"
                       : "no memory bandwidth (include an nstream result, or pass --bandwidth)");
    if (bandwidth > 0) {
      p.html += fmt::format("<p class=\"note\">Measured memory bandwidth: {} GB/s ({}).</p>\n",
                            format_number(bandwidth), escape(bandwidth_from));
    }
    return;
  }
  double lo = points.front().ai, hi = lo;
  for (const auto& pt : points) {
    lo = std::min(lo, pt.ai);
    hi = std::max(hi, pt.ai);
  }
  const double peak = opts.peak_gflops;
  if (peak > 0) hi = std::max(hi, peak / bandwidth);
  lo /= 4;
  hi *= 4;
  json roof = json::array();
  for (int i = 0; i <= 40; ++i) {
    const double ai = lo * std::pow(hi / lo, i / 40.0);
    const double y = peak > 0 ? std::min(peak, bandwidth * ai) : bandwidth * ai;
    roof.push_back({{"x", ai}, {"y", y}});
  }
  json datasets = json::array();
  datasets.push_back(
      {{"label", fmt::format("roof: {} GB/s{}", format_number(bandwidth),
                             peak > 0 ? fmt::format(", {} GFlop/s", format_number(peak)) : "")},
       {"data", roof},
       {"showLine", true},
       {"pointRadius", 0},
       {"borderColor", palette[8]},
       {"backgroundColor", palette[8]}});
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string& color = palette[i % 8];
    datasets.push_back({{"label", points[i].label},
                        {"data", json::array({{{"x", points[i].ai}, {"y", points[i].gflops}}})},
                        {"pointRadius", 6},
                        {"borderColor", color},
                        {"backgroundColor", color}});
  }
  p.html += fmt::format("<p class=\"note\">Memory roof from {}.</p>\n", escape(bandwidth_from));
  p.chart(
      "roofline",
      {{"type", "scatter"},
       {"data", {{"datasets", datasets}}},
       {"options",
        {{"scales",
          {{"x", axis("arithmetic intensity (flop/B)", true)}, {"y", axis("GFlop/s", true)}}}}}});
}

}  // namespace

std::vector<loaded_record> load_records(const std::vector<std::string>& inputs) {
  std::vector<loaded_record> out;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::recursive_directory_iterator(input, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      std::size_t found = 0;
      for (const auto& f : files) {
        try {
          json j = json::parse(read_text(f));
          if (!is_record(j)) continue;
          out.push_back({f.string(), std::move(j)});
          ++found;
        } catch (const json::exception&) {
          continue;  // other JSON in a results folder (provenance, job lists)
        }
      }
      if (found == 0) throw input_error(input + ": no weft records (*.json) in this folder");
    } else if (fs::is_regular_file(input, ec)) {
      json j;
      try {
        j = json::parse(read_text(input));
      } catch (const json::exception& e) {
        throw input_error(input + ": not JSON: " + e.what());
      }
      if (!is_record(j)) throw input_error(input + ": not a weft record (schema weft.record/1)");
      out.push_back({input, std::move(j)});
    } else {
      throw input_error(input + ": no such file or folder");
    }
  }
  // Job order when the records come from jobs: step order is the run id order in a folder.
  return out;
}

double run_time(const json& record, std::string* name) {
  if (const json* m = find_metric(record, [](const json& x) {
        return x.value("unit", "") == "s" && !x.value("higher_is_better", true);
      })) {
    if (name) *name = text_of(m->value("name", json("time")));
    return (*m)["value"].get<double>();
  }
  if (record.contains("phases") && record["phases"].is_array() && !record["phases"].empty()) {
    double total = 0;
    for (const auto& ph : record["phases"]) total += ph.value("max_s", 0.0);
    if (name) *name = "sum of phase times (slowest rank)";
    return total;
  }
  return -1;
}

std::vector<scaling_series> scaling(const std::vector<loaded_record>& records) {
  struct group {
    std::string title, scaling, time_name;
    std::map<std::pair<int, int>, double> best;  // (ranks, threads) -> shortest time
  };
  std::vector<std::string> order;
  std::map<std::string, group> groups;
  for (const auto& r : records) {
    const json& d = r.data;
    std::string name;
    const double t = run_time(d, &name);
    if (t <= 0) continue;
    std::string key, title, mode = "strong";
    if (d.contains("job") && d["job"].is_object()) {
      const json& job = d["job"];
      title = text_of(job.value("job", json(""))) + " / " + text_of(job.value("step", json("")));
      mode = text_of(job.value("scaling", json("strong")));
      std::string fixed;
      if (job.contains("sweep") && job["sweep"].is_object()) {
        for (const auto& [k, v] : job["sweep"].items()) {
          if (k == "ranks" || k == "threads") continue;
          // Weak-scaled sizes change with the layout; they do not split a series.
          if (mode == "weak") continue;
          fixed += (fixed.empty() ? "" : ", ") + k + "=" + text_of(v);
        }
      }
      if (!fixed.empty()) title += " (" + fixed + ")";
      key = title;
    } else {
      json params = d.value("parameters", json::object());
      title = text_of(d["kernel"]);
      key = title + " " + params.dump();
      std::string p;
      for (const auto& [k, v] : params.items()) p += (p.empty() ? "" : ", ") + k + "=" + text_of(v);
      if (!p.empty()) title += " (" + p + ")";
    }
    if (!groups.count(key)) {
      order.push_back(key);
      groups[key] = group{title, mode, name, {}};
    }
    auto& g = groups[key];
    const std::pair<int, int> layout{ranks_of(d), threads_of(d)};
    const auto it = g.best.find(layout);
    if (it == g.best.end() || t < it->second) g.best[layout] = t;
  }
  std::vector<scaling_series> out;
  for (const auto& key : order) {
    const auto& g = groups[key];
    if (g.best.size() < 2) continue;
    scaling_series s{g.title, g.scaling, g.time_name, {}};
    for (const auto& [layout, t] : g.best) {
      s.points.push_back({fmt::format("{}x{}", layout.first, layout.second), layout.first,
                          layout.second, t, 0, 0});
    }
    std::sort(s.points.begin(), s.points.end(), [](const auto& a, const auto& b) {
      const int wa = a.ranks * a.threads, wb = b.ranks * b.threads;
      return wa != wb ? wa < wb : a.ranks > b.ranks;
    });
    const auto& base = s.points.front();
    const double base_workers = base.ranks * base.threads;
    const double base_time = base.time_s;
    for (auto& pt : s.points) {
      const double ratio = pt.ranks * pt.threads / base_workers;
      if (s.scaling == "weak") {
        pt.efficiency = base_time / pt.time_s;
        pt.speedup = pt.efficiency * ratio;
      } else {
        pt.speedup = base_time / pt.time_s;
        pt.efficiency = pt.speedup / ratio;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

rendered render_html(const std::vector<loaded_record>& records, const options& opts,
                     const std::string& chartjs_source) {
  if (chartjs_source.find("</script") != std::string::npos) {
    throw std::runtime_error("the Chart.js source contains </script and cannot be inlined");
  }
  std::string chartjs_version = "Chart.js";
  if (const auto at = chartjs_source.find("Chart.js v"); at != std::string::npos && at < 200) {
    const auto end = chartjs_source.find_first_of(" \n\r*", at + 9);
    chartjs_version = chartjs_source.substr(at, end - at);
  }
  page p;
  runs_table(p, records);
  scaling_section(p, records);
  phases_section(p, records);
  tables_section(p, records);
  roofline_section(p, records, opts);

  json data = {{"charts", p.charts}};
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>" + escape(opts.title) + "</title>\n<style>" + page_style + "</style>\n";
  html += "</head>\n<body>\n";
  html += "<h1>" + escape(opts.title) + "</h1>\n";
  html +=
      fmt::format("<p class=\"note\">{} record{}, written {} by weft report.</p>\n", records.size(),
                  records.size() == 1 ? "" : "s", utc_time("%Y-%m-%d %H:%M UTC"));
  html += p.html;
  html +=
      "<h2>About this page</h2>\n<p class=\"note\">Self-contained: it needs no network. "
      "Charts are drawn with " +
      escape(chartjs_version) +
      " (https://www.chartjs.org), inlined from Debian's libjs-chart.js under the MIT "
      "licence.</p>\n";
  html += "<details><summary>Chart.js licence</summary><pre>" + escape(mit_licence) +
          "</pre></details>\n";
  html += fmt::format(
      "<div id=\"weft-status\" hidden data-charts-expected=\"{}\" "
      "data-charts-drawn=\"0\"></div>\n",
      p.charts.size());
  html += "<script type=\"application/json\" id=\"weft-data\">" + script_json(data) + "</script>\n";
  html += "<!-- " + escape(chartjs_version) +
          ": MIT licence, Copyright (c) 2014-2022 Chart.js Contributors -->\n";
  html += "<script>\n" + chartjs_source + "\n</script>\n";
  html += std::string("<script>") + page_script + "</script>\n</body>\n</html>\n";
  return {html, static_cast<int>(p.charts.size())};
}

written write_report(const std::vector<std::string>& inputs, const options& opts) {
  const auto records = load_records(inputs);
  if (records.empty()) throw input_error("no records given");
  std::error_code ec;
  if (!fs::is_regular_file(opts.chartjs, ec)) {
    throw std::runtime_error(opts.chartjs +
                             ": Chart.js not found; install libjs-chart.js (scripts/install-deps) "
                             "or pass --chartjs FILE");
  }
  const auto page = render_html(records, opts, read_text(opts.chartjs));
  const fs::path out(opts.output);
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  const std::string tmp = opts.output + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << page.html;
    if (!f) throw std::runtime_error(opts.output + ": cannot write");
  }
  fs::rename(tmp, out);
  return {static_cast<int>(records.size()), page.charts};
}

}  // namespace weft::report
