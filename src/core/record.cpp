#include "weft/core/record.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace weft {

const metric* record::find_metric(const std::string& name) const {
  const auto it =
      std::find_if(metrics.begin(), metrics.end(), [&](const metric& m) { return m.name == name; });
  return it == metrics.end() ? nullptr : &*it;
}

json record::to_json() const {
  json j;
  j["schema"] = "weft.record/1";
  j["kernel"] = kernel;
  j["parameters"] = parameters;
  json lay;
  lay["ranks"] = placement.ranks;
  lay["threads_per_rank"] = placement.threads;
  lay["nodes"] = placement.nodes;
  lay["workers"] = placement.workers();
  json ranks = json::array();
  for (const auto& p : placement.placement) {
    json r;
    r["rank"] = p.rank;
    r["host"] = p.host;
    json threads = json::array();
    for (const auto& cores : p.thread_cores) threads.push_back(cores);
    r["thread_cores"] = threads;
    ranks.push_back(r);
  }
  lay["bindings"] = ranks;
  j["layout"] = lay;
  json phases_json = json::array();
  for (const auto& s : phases) {
    phases_json.push_back({{"phase", s.phase},
                           {"min_s", s.min},
                           {"mean_s", s.mean},
                           {"max_s", s.max},
                           {"imbalance", s.imbalance()}});
  }
  j["phases"] = phases_json;
  json metrics_json = json::array();
  for (const auto& m : metrics) {
    metrics_json.push_back({{"name", m.name},
                            {"value", m.value},
                            {"unit", m.unit},
                            {"higher_is_better", m.higher_is_better},
                            {"formula", m.formula}});
  }
  j["metrics"] = metrics_json;
  json tables_json = json::array();
  for (const auto& t : tables) {
    tables_json.push_back({{"name", t.name}, {"columns", t.columns}, {"rows", t.rows}});
  }
  j["tables"] = tables_json;
  j["validation"] = {{"passed", check.passed}, {"method", check.method}, {"detail", check.detail}};
  j["provenance"] = provenance;
  if (!extra.empty()) j["extra"] = extra;
  return j;
}

namespace {
std::string format_value(double v) {
  if (v == 0) return "0";
  const double a = std::abs(v);
  if (a >= 1e6 || a < 1e-3) return fmt::format("{:.4g}", v);
  if (a >= 100) return fmt::format("{:.1f}", v);
  return fmt::format("{:.4g}", v);
}
}  // namespace

std::string record::to_text() const {
  std::string out;
  out += fmt::format("{} on {} rank{} x {} thread{} ({} node{})\n", kernel, placement.ranks,
                     placement.ranks == 1 ? "" : "s", placement.threads,
                     placement.threads == 1 ? "" : "s", placement.nodes,
                     placement.nodes == 1 ? "" : "s");
  std::string params;
  for (const auto& [k, v] : parameters.items()) {
    if (!params.empty()) params += "  ";
    params += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  if (!params.empty()) out += "  parameters: " + params + "\n";
  for (const auto& t : tables) {
    out += fmt::format("  {}\n   ", t.name);
    for (const auto& c : t.columns) out += fmt::format(" {:>14}", c);
    out += '\n';
    for (const auto& row : t.rows) {
      out += "   ";
      for (double v : row) out += fmt::format(" {:>14}", format_value(v));
      out += '\n';
    }
  }
  if (!phases.empty()) {
    out += fmt::format("  {:<16} {:>12} {:>12} {:>12} {:>10}\n", "phase", "min s", "mean s",
                       "max s", "max/mean");
    for (const auto& s : phases) {
      out += fmt::format("  {:<16} {:>12.6f} {:>12.6f} {:>12.6f} {:>10.3f}\n", s.phase, s.min,
                         s.mean, s.max, s.imbalance());
    }
  }
  for (const auto& m : metrics) {
    out += fmt::format("  {:<28} {:>14} {}\n", m.name, format_value(m.value), m.unit);
  }
  out += fmt::format("  validation: {}{}{}\n", check.passed ? "passed" : "FAILED",
                     check.method.empty() ? "" : " (" + check.method + ")",
                     check.detail.empty() ? "" : ": " + check.detail);
  return out;
}

}  // namespace weft
