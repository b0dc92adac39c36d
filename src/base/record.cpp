#include "weft/base/record.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "weft/base/error.hpp"

namespace weft {

const metric* record::find_metric(const std::string& name) const {
  const auto it =
      std::find_if(metrics.begin(), metrics.end(), [&](const metric& m) { return m.name == name; });
  return it == metrics.end() ? nullptr : &*it;
}

json record::to_json() const {
  json j;
  j["schema"] = record_schema;
  j["kernel"] = kernel;
  j["parameters"] = parameters;
  json lay;
  lay["ranks"] = placement.ranks;
  lay["threads_per_rank"] = placement.threads;
  lay["nodes"] = placement.nodes;
  lay["ranks_per_node"] = placement.ranks_per_node();
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
  if (!job.empty()) j["job"] = job;
  return j;
}

namespace {

// Reads fields of one JSON object, naming the path of the first bad one.
class reader {
 public:
  reader(const json& j, std::string where, const std::string& source)
      : j_(j), where_(std::move(where)), source_(source) {
    if (!j_.is_object()) fail("", "is not an object");
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    const std::string field = key.empty() ? where_ : where_.empty() ? key : where_ + "." + key;
    throw input_error(fmt::format("{}: not a weft record: {}{}", source_,
                                  field.empty() ? "the document" : "'" + field + "'", " " + what));
  }
  [[nodiscard]] const json* find(const std::string& key) const {
    const auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  [[nodiscard]] bool has(const std::string& key) const { return j_.contains(key); }
  [[nodiscard]] const json& need(const std::string& key) const {
    const json* v = find(key);
    if (v == nullptr) fail(key, "is missing");
    return *v;
  }
  [[nodiscard]] std::string text(const std::string& key, const std::string& fallback = "") const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_string()) fail(key, "is not a string");
    return v->get<std::string>();
  }
  // A number; JSON null (how NaN and infinities are written) reads as NaN.
  [[nodiscard]] double number(const std::string& key, double fallback = 0) const {
    const auto it = j_.find(key);
    if (it == j_.end()) return fallback;
    if (it->is_null()) return std::nan("");
    if (!it->is_number()) fail(key, "is not a number");
    return it->get<double>();
  }
  [[nodiscard]] int integer(const std::string& key, int fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_number_integer()) fail(key, "is not an integer");
    return v->get<int>();
  }
  [[nodiscard]] bool flag(const std::string& key, bool fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) fail(key, "is not true or false");
    return v->get<bool>();
  }
  [[nodiscard]] json object(const std::string& key) const {
    const json* v = find(key);
    if (v == nullptr) return json::object();
    if (!v->is_object()) fail(key, "is not an object");
    return *v;
  }
  [[nodiscard]] const json& array(const std::string& key) const {
    static const json empty = json::array();
    const json* v = find(key);
    if (v == nullptr) return empty;
    if (!v->is_array()) fail(key, "is not an array");
    return *v;
  }
  [[nodiscard]] std::string at(const std::string& key, std::size_t i) const {
    return fmt::format("{}{}{}[{}]", where_, where_.empty() ? "" : ".", key, i);
  }

 private:
  const json& j_;
  std::string where_;
  const std::string& source_;
};

layout read_layout(const json& j, const std::string& source) {
  const reader r(j, "layout", source);
  layout out;
  out.ranks = r.integer("ranks", 1);
  out.threads = r.integer("threads_per_rank", 1);
  out.nodes = r.integer("nodes", 1);
  const json& bindings = r.array("bindings");
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    const reader b(bindings[i], r.at("bindings", i), source);
    rank_placement p;
    p.rank = b.integer("rank", 0);
    p.host = b.text("host");
    for (const auto& cores : b.array("thread_cores")) {
      if (!cores.is_array()) b.fail("thread_cores", "holds a value that is not a list of cores");
      std::vector<int> list;
      for (const auto& c : cores) {
        if (!c.is_number_integer())
          b.fail("thread_cores", "holds a core id that is not an integer");
        list.push_back(c.get<int>());
      }
      p.thread_cores.push_back(std::move(list));
    }
    out.placement.push_back(std::move(p));
  }
  return out;
}

}  // namespace

bool record::is_record(const json& j) noexcept {
  if (!j.is_object()) return false;
  const auto it = j.find("schema");
  return it != j.end() && it->is_string() && it->get<std::string>() == record_schema;
}

record record::from_json(const json& j, const std::string& source) {
  const reader r(j, "", source);
  if (!is_record(j)) {
    const json* schema = r.find("schema");
    r.fail("schema", schema == nullptr
                         ? "is missing"
                         : "is " + schema->dump() + ", not \"" + std::string(record_schema) + "\"");
  }
  record out;
  out.kernel = r.text("kernel");
  if (out.kernel.empty()) r.fail("kernel", "is missing");
  out.parameters = r.object("parameters");
  if (r.find("layout") != nullptr) out.placement = read_layout(r.need("layout"), source);
  const json& phases = r.array("phases");
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const reader p(phases[i], r.at("phases", i), source);
    out.phases.push_back(
        {p.text("phase"), p.number("min_s"), p.number("mean_s"), p.number("max_s")});
  }
  const json& metrics = r.array("metrics");
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    const reader m(metrics[i], r.at("metrics", i), source);
    metric x;
    x.name = m.text("name");
    if (!m.has("value")) m.fail("value", "is missing");
    x.value = m.number("value");
    x.unit = m.text("unit");
    x.higher_is_better = m.flag("higher_is_better", true);
    x.formula = m.text("formula");
    out.metrics.push_back(std::move(x));
  }
  const json& tables = r.array("tables");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const reader t(tables[i], r.at("tables", i), source);
    table x;
    x.name = t.text("name");
    for (const auto& c : t.array("columns")) {
      if (!c.is_string()) t.fail("columns", "holds a name that is not a string");
      x.columns.push_back(c.get<std::string>());
    }
    for (const auto& row : t.array("rows")) {
      if (!row.is_array()) t.fail("rows", "holds a row that is not an array");
      std::vector<double> values;
      for (const auto& v : row) {
        if (!v.is_number() && !v.is_null()) t.fail("rows", "holds a value that is not a number");
        values.push_back(v.is_null() ? std::nan("") : v.get<double>());
      }
      x.rows.push_back(std::move(values));
    }
    out.tables.push_back(std::move(x));
  }
  const json check = r.object("validation");
  const reader v(check, "validation", source);
  out.check.passed = v.flag("passed", false);
  out.check.method = v.text("method");
  out.check.detail = v.text("detail");
  out.provenance = r.object("provenance");
  out.extra = r.object("extra");
  out.job = r.object("job");
  return out;
}

record read_record(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw input_error(
        fmt::format("{}: {}", file.string(),
                    std::filesystem::exists(file, ec) ? "not a file" : "no such file"));
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw input_error(file.string() + ": cannot be read");
  json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded())
    throw input_error(file.string() + ": not JSON (a weft record was expected)");
  return record::from_json(j, file.string());
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
