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
#include <tuple>

#include "weft/base/html.hpp"
#include "weft/base/staged_file.hpp"
#include "weft/base/utc_time.hpp"

namespace weft::report {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  return read_file_text(p);
}

std::string escape(const std::string& s) {
  return html_escape(s);
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
  if (const auto it = r.rec.job.find("run"); it != r.rec.job.end()) return text_of(*it);
  return fs::path(r.source).stem().string();
}

// The first metric with a finite value that satisfies pred, or nullptr.
const metric* find_metric(const record& rec, const std::function<bool(const metric&)>& pred) {
  for (const auto& m : rec.metrics) {
    if (std::isfinite(m.value) && pred(m)) return &m;
  }
  return nullptr;
}

// GFlop/s of a record, or < 0.
double gflops_of(const record& rec) {
  double scale = 0;
  const metric* m = find_metric(rec, [&](const metric& x) {
    scale = x.unit == "GFlop/s" ? 1 : x.unit == "MFlop/s" ? 1e-3 : x.unit == "TFlop/s" ? 1e3 : 0;
    return scale > 0;
  });
  return m ? m->value * scale : -1;
}

double intensity_of(const record& rec, double gflops) {
  if (const metric* m = find_metric(rec, [](const metric& x) {
        return x.unit == "flop/B" || x.unit == "Flop/B" || x.unit == "flop/byte";
      })) {
    return m->value;
  }
  if (const metric* m = find_metric(rec, [](const metric& x) { return x.unit == "GB/s"; })) {
    if (m->value > 0) return gflops / m->value;
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

json from_zero(const std::string& title) {
  json a = axis(title);
  a["min"] = 0;
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
  // Whether the page fits the window (no sideways scrolling), for the browser test.
  status.setAttribute('data-scroll-width', String(document.documentElement.scrollWidth));
  status.setAttribute('data-window-width', String(window.innerWidth));
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
td.params { max-width: 22rem; overflow-wrap: anywhere; }
.verdict-pass { color: #070; } .verdict-fail { color: #b00; font-weight: bold; } .verdict-none { color: #888; }
pre.log { background: #f6f6f6; padding: 0.5rem; font-size: 0.8rem; white-space: pre-wrap; overflow-wrap: anywhere; }
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

std::string verdict_class(const std::string& verdict) {
  return verdict == "pass" ? "verdict-pass" : verdict == "fail" ? "verdict-fail" : "verdict-none";
}

// "latency_us" -> "latency (us)", "bandwidth_GB/s" -> "bandwidth (GB/s)", "size_B" -> "size (B)".
std::string column_title(const std::string& column) {
  const auto at = column.rfind('_');
  if (at == std::string::npos || at == 0 || at + 1 == column.size()) return column;
  std::string name = column.substr(0, at);
  std::replace(name.begin(), name.end(), '_', ' ');
  return name + " (" + column.substr(at + 1) + ")";
}

// Data kernels' results come first: statistics in a table, histograms as bar charts.
void data_section(page& p, const std::vector<loaded_record>& records) {
  std::vector<const loaded_record*> stats, hists;
  for (const auto& r : records) {
    if (r.rec.extra.contains("statistics") && r.rec.extra["statistics"].is_object()) {
      stats.push_back(&r);
    }
    const auto h = r.rec.extra.find("histogram");
    if (h != r.rec.extra.end() && h->is_object() && h->contains("counts") && h->contains("edges") &&
        (*h)["counts"].is_array() && (*h)["edges"].is_array() &&
        (*h)["edges"].size() == (*h)["counts"].size() + 1) {
      hists.push_back(&r);
    }
  }
  if (stats.empty() && hists.empty()) return;
  p.html += "<h2>Data</h2>\n";
  if (!stats.empty()) {
    p.html +=
        "<table><thead><tr><th>run</th><th>dataset</th><th>shape</th><th>type</th>"
        "<th>count</th><th>mean</th><th>std</th><th>min</th><th>max</th><th>NaN</th>"
        "<th>Inf</th></tr></thead><tbody>\n";
    for (const auto* r : stats) {
      const json& st = r->rec.extra["statistics"];
      const auto num = [&](const char* key) {
        const auto it = st.find(key);
        return it != st.end() && it->is_number() ? format_number(it->get<double>()) : "";
      };
      std::string shape;
      if (st.contains("shape") && st["shape"].is_array()) {
        for (const auto& d : st["shape"]) shape += (shape.empty() ? "" : "×") + text_of(d);
      }
      p.html += fmt::format(
          "<tr><td>{}</td><td class=\"params\">{}</td><td>{}</td><td>{}</td><td "
          "class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
          "class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
          "class=\"num\">{}</td></tr>\n",
          escape(run_label(*r)), escape(text_of(st.value("input", json("")))), escape(shape),
          escape(text_of(st.value("type", json("")))), num("count"), num("mean"), num("std"),
          num("min"), num("max"), num("nan"), num("inf"));
    }
    p.html += "</tbody></table>\n";
  }
  for (const auto* r : hists) {
    const json& h = r->rec.extra["histogram"];
    json labels = json::array(), counts = json::array();
    const auto& edges = h["edges"];
    for (std::size_t i = 0; i < h["counts"].size(); ++i) {
      if (!edges[i].is_number() || !edges[i + 1].is_number()) continue;
      const double mid = 0.5 * (edges[i].get<double>() + edges[i + 1].get<double>());
      labels.push_back(format_number(mid));
      counts.push_back(h["counts"][i]);
    }
    p.chart(
        fmt::format("histogram of {} ({})", text_of(h.value("input", json(""))), run_label(*r)),
        {{"type", "bar"},
         {"data",
          {{"labels", labels},
           {"datasets",
            {{{"label", "values per bin"},
              {"data", counts},
              {"backgroundColor", palette[0]},
              {"barPercentage", 1.0},
              {"categoryPercentage", 1.0}}}}}},
         {"options", {{"scales", {{"x", axis("bin centre")}, {"y", axis("values (count)")}}}}}});
  }
}

// Runs that did not pass (failed, timed out, stopped, skipped), with the end of their logs.
void issues_section(page& p, const job_context& context) {
  if (context.issues.empty()) return;
  p.html += "<h2>Runs that did not pass</h2>\n";
  for (const auto& i : context.issues) {
    p.html +=
        fmt::format("<h3 class=\"fail\">{}: {}</h3>\n<p class=\"note\">exit code {}, {} s.</p>\n",
                    escape(i.run), escape(i.status), i.exit_code, format_number(i.wall_s));
    if (!i.log_tail.empty()) {
      p.html += "<pre class=\"log\">" + escape(i.log_tail) + "</pre>\n";
    }
  }
}

// Each metric that has a reference: the runs' values and the reference's band.
void references_section(page& p, const std::vector<loaded_record>& records) {
  struct entry {
    std::string run;
    json verdict;
  };
  std::vector<std::string> order;
  std::map<std::string, std::vector<entry>> by_metric;
  for (const auto& r : records) {
    const auto v = r.rec.job.find("verdicts");
    if (v == r.rec.job.end() || !v->is_array()) continue;
    for (const auto& x : *v) {
      if (!x.contains("reference")) continue;
      const std::string key = x.value("metric", "") + " (" + x.value("unit", "") + ")";
      if (!by_metric.count(key)) order.push_back(key);
      by_metric[key].push_back({run_label(r), x});
    }
  }
  if (order.empty()) return;
  p.html +=
      "<h2>References</h2>\n<p class=\"note\">Each bar is a run's value; the grey band is "
      "the range its reference accepts (an open side reaches the chart's edge).</p>\n";
  p.html +=
      "<table><thead><tr><th>run</th><th>metric</th><th>value</th><th>reference</th>"
      "<th>accepted</th><th>change</th><th>verdict</th></tr></thead><tbody>\n";
  for (const auto& key : order) {
    for (const auto& e : by_metric[key]) {
      const json& x = e.verdict;
      const auto bound = [&](const char* k, const char* open) {
        return x.contains(k) && x[k].is_number() ? format_number(x[k].get<double>())
                                                 : std::string(open);
      };
      const std::string verdict = x.value("verdict", "");
      p.html += fmt::format(
          "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
          "<td class=\"num\">[{}, {}]</td><td class=\"num\">{}</td><td class=\"{}\">{}</td>"
          "</tr>\n",
          escape(e.run), escape(key), format_number(x.value("value", 0.0)),
          format_number(x.value("reference", 0.0)), bound("low", "−∞"), bound("high", "∞"),
          x.contains("change_percent") && x["change_percent"].is_number()
              ? fmt::format("{:+.1f} %", x["change_percent"].get<double>())
              : "",
          verdict_class(verdict), escape(verdict));
    }
  }
  p.html += "</tbody></table>\n";
  for (const auto& key : order) {
    const auto& entries = by_metric[key];
    double top = 0;
    for (const auto& e : entries) {
      top = std::max({top, e.verdict.value("value", 0.0), e.verdict.value("reference", 0.0)});
      if (e.verdict["high"].is_number()) top = std::max(top, e.verdict["high"].get<double>());
    }
    top *= 1.15;
    json labels = json::array(), values = json::array(), bands = json::array(),
         colors = json::array();
    for (const auto& e : entries) {
      const json& x = e.verdict;
      labels.push_back(e.run);
      values.push_back(x.value("value", 0.0));
      const double lo = x["low"].is_number() ? x["low"].get<double>() : 0.0;
      const double hi = x["high"].is_number() ? x["high"].get<double>() : top;
      bands.push_back(json::array({lo, hi}));
      colors.push_back(x.value("verdict", "") == "fail" ? "#d62728" : "#2ca02c");
    }
    p.chart(key + " against its reference",
            {{"type", "bar"},
             {"data",
              {{"labels", labels},
               {"datasets",
                {{{"label", key}, {"data", values}, {"backgroundColor", colors}},
                 {{"label", "accepted range"},
                  {"data", bands},
                  {"backgroundColor", "#7f7f7f40"},
                  {"borderColor", "#7f7f7f"},
                  {"borderWidth", 1},
                  {"grouped", false}}}}}},
             {"options",
              {{"scales",
                {{"x", axis("run")},
                 {"y", json{{"min", 0}, {"title", {{"display", true}, {"text", key}}}}}}}}}});
  }
}

// A metric's value across earlier runs of the job (the history), one line per run.
void trends_section(page& p, const job_context& context) {
  // step + metric -> run -> time -> value
  std::map<std::string, std::map<std::string, std::map<std::string, double>>> series;
  std::map<std::string, std::string> units;
  std::map<std::string, std::string> headline;  // step -> its first metric
  std::set<std::string> times;
  for (const auto& h : context.history) {
    if (!h.contains("metrics") || !h["metrics"].is_object()) continue;
    std::string run = h.value("run", "");
    if (const auto at = run.rfind("-r"); at != std::string::npos && at + 2 < run.size() &&
                                         std::isdigit(static_cast<unsigned char>(run[at + 2]))) {
      run = run.substr(0, at);  // repeats of one point are one line
    }
    const std::string time = h.value("job_time", h.value("time", ""));
    times.insert(time);
    for (const auto& [name, m] : h["metrics"].items()) {
      if (!m.is_object() || !m.contains("value") || !m["value"].is_number()) continue;
      // A step's first metric is its headline figure; one trend chart per step.
      const std::string step = h.value("step", "");
      if (const auto first = headline.try_emplace(step, name).first->second; first != name) {
        continue;
      }
      const std::string key = h.value("step", "") + ": " + name;
      units[key] = m.value("unit", "");
      auto& slot = series[key][run];
      const double v = m["value"].get<double>();
      const bool higher = m.value("better", "higher") == "higher";
      // The best of the repeats at one time.
      const auto it = slot.find(time);
      if (it == slot.end() || (higher ? v > it->second : v < it->second)) slot[time] = v;
    }
  }
  if (times.size() < 2) return;
  p.html +=
      "<h2>Trends</h2>\n<p class=\"note\">Each step's headline figure in every run of "
      "the job on this system (the history file), one line per sweep point, the best "
      "of its repeats.</p>\n";
  int charts = 0;
  for (const auto& [key, runs] : series) {
    std::set<std::string> when;
    for (const auto& [run, points] : runs) {
      for (const auto& [t, v] : points) when.insert(t);
    }
    if (when.size() < 2) continue;
    if (++charts > 12) break;
    json labels = json::array();
    for (const auto& t : when) labels.push_back(t);
    json datasets = json::array();
    int colour = 0;
    for (const auto& [run, points] : runs) {
      json data = json::array();
      for (const auto& t : when) {
        const auto it = points.find(t);
        data.push_back(it == points.end() ? json(nullptr) : json(it->second));
      }
      const std::string& color = palette[colour++ % palette.size()];
      datasets.push_back({{"label", run},
                          {"data", data},
                          {"borderColor", color},
                          {"backgroundColor", color},
                          {"spanGaps", true}});
    }
    const std::string unit = units[key];
    p.chart(key, {{"type", "line"},
                  {"data", {{"labels", labels}, {"datasets", datasets}}},
                  {"options",
                   {{"scales",
                     {{"x", axis("job started (UTC)")},
                      {"y", axis(unit.empty() ? key : key + " (" + unit + ")")}}}}}});
  }
}

void runs_table(page& p, const std::vector<loaded_record>& records) {
  // The reference column only where some run has a reference.
  const bool references = std::any_of(records.begin(), records.end(), [](const loaded_record& r) {
    const std::string v = r.rec.job.value("verdict", "");
    return v == "pass" || v == "fail";
  });
  p.html += fmt::format(
      "<h2>Runs</h2>\n<table><thead><tr><th>run</th><th>job / step</th><th>kernel</th>"
      "<th>ranks × threads</th><th>parameters</th><th>result</th><th>time (s)</th>"
      "<th>validation</th>{}</tr></thead><tbody>\n",
      references ? "<th>reference</th>" : "");
  for (const auto& r : records) {
    const record& d = r.rec;
    std::string job;
    if (!d.job.empty()) {
      job = text_of(d.job.value("job", json(""))) + " / " + text_of(d.job.value("step", json("")));
    }
    std::string params;
    for (const auto& [k, v] : d.parameters.items()) {
      params += (params.empty() ? "" : ", ") + k + "=" + text_of(v);
    }
    std::string result;
    if (const metric* m = find_metric(d, [](const metric&) { return true; })) {
      result = fmt::format("{} {} {}", m->name, format_number(m->value), m->unit);
    }
    const double t = run_time(d);
    const bool passed = d.check.passed;
    const int nodes = d.placement.nodes;
    const std::string verdict = d.job.value("verdict", "");
    p.html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} × {}{}</td><td "
        "class=\"params\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"{}\">{}</td>"
        "{}</tr>\n",
        escape(run_label(r)), escape(job), escape(d.kernel), d.placement.ranks, d.placement.threads,
        nodes > 1 ? fmt::format(" on {} nodes", nodes) : "", escape(params), escape(result),
        t >= 0 ? format_number(t) : "", passed ? "ok" : "fail", passed ? "passed" : "FAILED",
        references
            ? fmt::format("<td class=\"{}\">{}</td>", verdict_class(verdict), escape(verdict))
            : "");
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
             {"options",
              {{"scales", {{"x", axis("ranks x threads")}, {"y", from_zero("time (s)")}}}}}});
    p.chart(s.scaling == "weak" ? "scaled speedup" : "speedup",
            {{"type", "line"},
             {"data",
              {{"labels", labels},
               {"datasets",
                {line("measured", speedup, palette[1], false),
                 line("ideal", ideal_speedup, palette[8], true)}}}},
             {"options",
              {{"scales", {{"x", axis("ranks x threads")}, {"y", from_zero("speedup (x)")}}}}}});
    p.chart("parallel efficiency (%)",
            {{"type", "line"},
             {"data",
              {{"labels", labels},
               {"datasets",
                {line("measured", efficiency, palette[2], false),
                 line("ideal", ideal_eff, palette[8], true)}}}},
             {"options",
              {{"scales", {{"x", axis("ranks x threads")}, {"y", from_zero("efficiency (%)")}}}}}});
    p.html += "</div>\n";
  }
}

void phases_section(page& p, const std::vector<loaded_record>& records) {
  p.html += "<h2>Time per phase</h2>\n";
  std::vector<std::string> phase_names;
  for (const auto& r : records) {
    for (const auto& ph : r.rec.phases) {
      if (std::find(phase_names.begin(), phase_names.end(), ph.phase) == phase_names.end()) {
        phase_names.push_back(ph.phase);
      }
    }
  }
  if (phase_names.empty()) {
    p.html += "<p class=\"note\">No record has phase timings.</p>\n";
    return;
  }
  p.html +=
      "<p class=\"note\">One chart per phase. Each bar spans the fastest to the slowest rank "
      "(min–max) and the dot is the mean over ranks: a long bar means imbalance. Where runs "
      "differ by more than a factor of 100, the time axis is logarithmic.</p>\n";
  for (std::size_t i = 0; i < phase_names.size(); ++i) {
    json labels = json::array(), range = json::array(), mean = json::array();
    double smallest = HUGE_VAL, largest = 0;
    std::vector<phase_stats> stats;
    for (const auto& r : records) {
      for (const auto& ph : r.rec.phases) {
        if (ph.phase != phase_names[i]) continue;
        labels.push_back(run_label(r));
        stats.push_back(ph);
        if (ph.min > 0) smallest = std::min(smallest, ph.min);
        largest = std::max(largest, ph.max);
      }
    }
    // Runs that differ by orders of magnitude share a logarithmic axis.
    const bool log_y = largest > 0 && smallest < HUGE_VAL && largest > 100 * smallest;
    for (const auto& ph : stats) {
      // A zero cannot sit on a logarithmic axis: the smallest time stands in.
      const double lo = log_y ? std::max(ph.min, smallest) : ph.min;
      double hi = log_y ? std::max(ph.max, smallest) : ph.max;
      // A zero-width bar would not show: give it a hairline.
      if (hi <= lo) hi = lo * 1.002 + 1e-9;
      range.push_back(json::array({lo, hi}));
      mean.push_back(log_y ? std::max(ph.mean, smallest) : ph.mean);
    }
    const std::string& color = palette[i % palette.size()];
    json datasets = json::array();
    datasets.push_back({{"type", "bar"},
                        {"label", phase_names[i] + ": slowest to fastest rank"},
                        {"data", range},
                        {"backgroundColor", color + "99"},
                        {"borderColor", color},
                        {"borderWidth", 1},
                        {"maxBarThickness", 48},
                        {"minBarLength", 2}});
    datasets.push_back({{"type", "line"},
                        {"label", phase_names[i] + ": mean over ranks"},
                        {"data", mean},
                        {"showLine", false},
                        {"pointRadius", 5},
                        {"pointStyle", "rectRot"},
                        {"borderColor", "#222"},
                        {"backgroundColor", "#222"}});
    json y = axis("time (s)", log_y);
    if (!log_y) y["min"] = 0;
    p.chart(
        fmt::format("phase '{}' over ranks (s){}", phase_names[i], log_y ? ", logarithmic" : ""),
        {{"type", "bar"},
         {"data", {{"labels", labels}, {"datasets", datasets}}},
         {"options", {{"scales", {{"x", axis("run")}, {"y", y}}}}}});
  }
}

void tables_section(page& p, const std::vector<loaded_record>& records) {
  // table name -> column -> datasets (one per record)
  std::map<std::string, std::map<std::string, json>> charts;
  std::map<std::string, std::string> x_names;
  // Columns whose positive values span more than two decades get a logarithmic axis.
  std::map<std::string, std::pair<double, double>> y_range;
  int colour = 0;
  for (const auto& r : records) {
    for (const auto& t : r.rec.tables) {
      const auto& cols = t.columns;
      const auto& rows = t.rows;
      if (cols.size() < 2 || rows.empty()) continue;
      const std::string name = r.rec.kernel + ": " + t.name;
      x_names[name] = cols[0];
      const std::string& color = palette[colour++ % palette.size()];
      for (std::size_t c = 1; c < cols.size(); ++c) {
        const std::string& col = cols[c];
        if (col == "iterations") continue;
        json pts = json::array();
        for (const auto& row : rows) {
          if (row.size() <= c) continue;
          const double x = row[0];
          // Sizes go on a logarithmic axis: leave out a zero size (and a value never measured).
          if (!(x > 0) || !std::isfinite(row[c])) continue;
          const double y = row[c];
          auto& range = y_range.try_emplace(name + "\n" + col, y, y).first->second;
          range = {std::min(range.first, y), std::max(range.second, y)};
          pts.push_back({{"x", x}, {"y", row[c]}});
        }
        auto& ds = charts[name][col];
        if (ds.is_null()) ds = json::array();
        ds.push_back({{"label", fmt::format("{}, run {}", column_title(col), run_label(r))},
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
      p.chart(column_title(col), {{"type", "scatter"},
                                  {"data", {{"datasets", datasets}}},
                                  {"options",
                                   {{"scales",
                                     {{"x", axis(column_title(x_names[name]), true)},
                                      {"y", axis(column_title(col), log_y)}}}}}});
    }
  }
}

void roofline_section(page& p, const std::vector<loaded_record>& records, const options& opts) {
  p.html += "<h2>Roofline</h2>\n";
  double bandwidth = opts.bandwidth_gbs;
  std::string bandwidth_from = "--bandwidth";
  if (bandwidth <= 0) {
    for (const auto& r : records) {
      if (r.rec.kernel != "nstream") continue;
      if (const metric* m = find_metric(
              r.rec, [](const metric& x) { return x.name == "bandwidth" && x.unit == "GB/s"; })) {
        if (m->value > bandwidth) {
          bandwidth = m->value;
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
    const double g = gflops_of(r.rec);
    if (g <= 0) continue;
    const double ai = intensity_of(r.rec, g);
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
      // A results folder of weft job lists its runs in spec order: keep that order.
      const json prov = json::parse(read_text(fs::path(input) / "provenance.json"), nullptr, false);
      if (prov.is_object() && prov.contains("runs") && prov["runs"].is_array()) {
        std::map<std::string, std::size_t> rank;
        for (std::size_t i = 0; i < prov["runs"].size(); ++i) {
          const json& run = prov["runs"][i];
          if (run.is_object() && run.contains("record") && run["record"].is_string()) {
            rank[(fs::path(input) / run["record"].get<std::string>()).lexically_normal().string()] =
                i;
          }
        }
        const auto order = [&](const fs::path& f) {
          const auto it = rank.find(f.lexically_normal().string());
          return it == rank.end() ? rank.size() : it->second;
        };
        std::stable_sort(files.begin(), files.end(),
                         [&](const fs::path& a, const fs::path& b) { return order(a) < order(b); });
      }
      std::size_t found = 0;
      for (const auto& f : files) {
        // Other JSON in a results folder (provenance, job lists) is not a record: skip it.
        const json j = json::parse(read_text(f), nullptr, false);
        if (j.is_discarded() || !record::is_record(j)) continue;
        out.push_back({f.string(), record::from_json(j, f.string())});
        ++found;
      }
      if (found == 0) throw input_error(input + ": no weft records (*.json) in this folder");
    } else if (fs::is_regular_file(input, ec)) {
      out.push_back({input, read_record(input)});
    } else {
      throw input_error(input + ": no such file or folder");
    }
  }
  // Job order when the records come from jobs: step order is the run id order in a folder.
  return out;
}

job_context load_context(const std::vector<std::string>& inputs) {
  job_context out;
  std::set<std::string> histories;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (!fs::is_directory(input, ec)) continue;
    const json prov = json::parse(read_text(fs::path(input) / "provenance.json"), nullptr, false);
    if (!prov.is_object() || !prov.contains("runs") || !prov["runs"].is_array()) continue;
    const std::string job = prov.value("job", "");
    for (const auto& run : prov["runs"]) {
      if (!run.is_object()) continue;
      const std::string status = run.value("status", "");
      if (status == "ok" || status == "not selected" || status.empty()) continue;
      run_issue issue;
      issue.run = run.value("run", "");
      issue.status = status;
      issue.exit_code = run.value("exit_code", 0);
      issue.wall_s = run.value("wall_s", 0.0);
      // The end of its log: where it failed.
      const std::string log = read_text(fs::path(input) / "runs" / (issue.run + ".log"));
      std::size_t at = log.size();
      for (int lines = 0; lines < 21 && at > 0; ++lines) {
        at = log.rfind('\n', at - 1);
        if (at == std::string::npos) {
          at = 0;
          break;
        }
      }
      issue.log_tail = log.substr(at == 0 ? 0 : at + 1);
      if (issue.log_tail.size() > 4000)
        issue.log_tail = issue.log_tail.substr(issue.log_tail.size() - 4000);
      out.issues.push_back(std::move(issue));
    }
    const std::string history = prov.value("history", "");
    if (history.empty() || !histories.insert(history).second) continue;
    std::ifstream in(history);
    for (std::string line; std::getline(in, line);) {
      const json h = json::parse(line, nullptr, false);
      if (h.is_object() && h.value("schema", "") == "weft.history/1" && h.value("job", "") == job) {
        out.history.push_back(h);
      }
    }
  }
  return out;
}

double run_time(const record& rec, std::string* name) {
  if (const metric* m =
          find_metric(rec, [](const metric& x) { return x.unit == "s" && !x.higher_is_better; })) {
    if (name) *name = m->name.empty() ? "time" : m->name;
    return m->value;
  }
  if (!rec.phases.empty()) {
    double total = 0;
    for (const auto& ph : rec.phases) total += ph.max;
    if (name) *name = "sum of phase times (slowest rank)";
    return total;
  }
  return -1;
}

std::vector<scaling_series> scaling(const std::vector<loaded_record>& records) {
  struct group {
    std::string title, scaling, time_name;
    std::map<std::tuple<int, int, int>, double> best;  // (nodes, ranks, threads) -> shortest time
  };
  std::vector<std::string> order;
  std::map<std::string, group> groups;
  for (const auto& r : records) {
    const record& d = r.rec;
    std::string name;
    const double t = run_time(d, &name);
    if (t <= 0) continue;
    std::string key, title, mode = "strong";
    if (!d.job.empty()) {
      const json& job = d.job;
      title = text_of(job.value("job", json(""))) + " / " + text_of(job.value("step", json("")));
      mode = text_of(job.value("scaling", json("strong")));
      std::string fixed;
      if (job.contains("sweep") && job["sweep"].is_object()) {
        for (const auto& [k, v] : job["sweep"].items()) {
          // The layout axes are the series' x axis; nodes among them.
          if (k == "ranks" || k == "threads" || k == "nodes") continue;
          // Weak-scaled sizes change with the layout; they do not split a series.
          if (mode == "weak") continue;
          fixed += (fixed.empty() ? "" : ", ") + k + "=" + text_of(v);
        }
      }
      if (!fixed.empty()) title += " (" + fixed + ")";
      key = title;
    } else {
      const json& params = d.parameters;
      title = d.kernel;
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
    const std::tuple<int, int, int> layout{d.placement.nodes, d.placement.ranks,
                                           d.placement.threads};
    const auto it = g.best.find(layout);
    if (it == g.best.end() || t < it->second) g.best[layout] = t;
  }
  std::vector<scaling_series> out;
  for (const auto& key : order) {
    const auto& g = groups[key];
    if (g.best.size() < 2) continue;
    scaling_series s{g.title, g.scaling, g.time_name, {}};
    std::set<int> node_counts;
    for (const auto& [layout, t] : g.best) node_counts.insert(std::get<0>(layout));
    for (const auto& [layout, t] : g.best) {
      const auto [nodes, ranks, threads] = layout;
      // Where a series spans several node counts, each point says how many nodes it used.
      const std::string label = node_counts.size() > 1
                                    ? fmt::format("{}:{}x{}", nodes, ranks, threads)
                                    : fmt::format("{}x{}", ranks, threads);
      s.points.push_back({label, nodes, ranks, threads, t, 0, 0});
    }
    // By workers, then by node count (the same workers on more nodes after), then ranks.
    std::sort(s.points.begin(), s.points.end(), [](const auto& a, const auto& b) {
      const int wa = a.ranks * a.threads, wb = b.ranks * b.threads;
      if (wa != wb) return wa < wb;
      if (a.nodes != b.nodes) return a.nodes < b.nodes;
      return a.ranks > b.ranks;
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
                     const std::string& chartjs_source, const job_context& context) {
  if (chartjs_source.find("</script") != std::string::npos) {
    throw std::runtime_error("the Chart.js source contains </script and cannot be inlined");
  }
  std::string chartjs_version = "Chart.js";
  if (const auto at = chartjs_source.find("Chart.js v"); at != std::string::npos && at < 200) {
    const auto end = chartjs_source.find_first_of(" \n\r*", at + 9);
    chartjs_version = chartjs_source.substr(at, end - at);
  }
  page p;
  data_section(p, records);
  runs_table(p, records);
  issues_section(p, context);
  references_section(p, records);
  scaling_section(p, records);
  phases_section(p, records);
  tables_section(p, records);
  roofline_section(p, records, opts);
  trends_section(p, context);

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
    throw usage_error(opts.chartjs +
                      ": Chart.js not found; install libjs-chart.js (scripts/install-deps) "
                      "or pass --chartjs FILE");
  }
  const auto page = render_html(records, opts, read_text(opts.chartjs), load_context(inputs));
  write_file_atomically(opts.output, page.html);
  return {static_cast<int>(records.size()), page.charts};
}

}  // namespace weft::report
