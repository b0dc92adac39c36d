#include "launch/spec.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>

#include "weft/base/error.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace weft::launch {

namespace fs = std::filesystem;

spec_error::spec_error(const std::string& file, int line, const std::string& key,
                       const std::string& what)
    : std::runtime_error(
          one_line(fmt::format("{}:{}: {}{}", file, line, key.empty() ? "" : key + ": ", what))),
      key_(key),
      line_(line) {}

bool is_safe_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '-' || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
}

std::optional<int> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const auto all_digits = [](const std::string& s) {
    return !s.empty() && s.size() < 9 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (all_digits(text)) return std::stoi(text);
  const char unit = text.back();
  const std::string number = text.substr(0, text.size() - 1);
  if ((unit == 's' || unit == 'm' || unit == 'h') && all_digits(number)) {
    const long long n = std::stoll(number);
    const long long scale = unit == 's' ? 1 : unit == 'm' ? 60 : 3600;
    if (n * scale > 365LL * 86400) return std::nullopt;
    return static_cast<int>(n * scale);
  }
  // [D-]HH:MM:SS or MM:SS
  long long days = 0;
  std::string rest = text;
  if (const auto dash = rest.find('-'); dash != std::string::npos) {
    if (!all_digits(rest.substr(0, dash))) return std::nullopt;
    days = std::stoll(rest.substr(0, dash));
    rest = rest.substr(dash + 1);
  }
  std::vector<std::string> parts;
  std::stringstream ss(rest);
  for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  long long total = 0;
  for (const auto& p : parts) {
    if (!all_digits(p)) return std::nullopt;
    total = total * 60 + std::stoll(p);
  }
  total += days * 86400;
  if (total <= 0 || total > 365LL * 86400) return std::nullopt;
  return static_cast<int>(total);
}

std::string slurm_time(int seconds) {
  const int days = seconds / 86400;
  const int h = (seconds % 86400) / 3600;
  const int m = (seconds % 3600) / 60;
  const int s = seconds % 60;
  if (days > 0) return fmt::format("{}-{:02}:{:02}:{:02}", days, h, m, s);
  return fmt::format("{:02}:{:02}:{:02}", h, m, s);
}

namespace {

int line_of(const toml::node& n) {
  return static_cast<int>(n.source().begin.line);
}

bool has_control(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// Reads one TOML table, remembering which keys were used so that the rest can be
// reported as unknown.
class table_reader {
 public:
  table_reader(const toml::table& table, std::string prefix, const std::string& file)
      : table_(table), prefix_(std::move(prefix)), file_(file) {}

  [[nodiscard]] std::string key(std::string_view k) const {
    return prefix_.empty() ? std::string(k) : prefix_ + "." + std::string(k);
  }
  [[nodiscard]] int line() const { return line_of(table_); }

  const toml::node* get(std::string_view k) {
    used_.insert(std::string(k));
    return table_.get(k);
  }

  [[noreturn]] void fail(std::string_view k, const std::string& what,
                         const toml::node* at = nullptr) const {
    const toml::node* n = at ? at : table_.get(k);
    throw spec_error(file_, n ? line_of(*n) : line(), key(k), what);
  }

  std::optional<long long> integer(std::string_view k, long long lo, long long hi) {
    const toml::node* n = get(k);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail(k, fmt::format("expected an integer, got {}", type_name(*n)));
    const long long v = n->as_integer()->get();
    if (v < lo || v > hi) fail(k, fmt::format("{} is out of range [{}, {}]", v, lo, hi));
    return v;
  }

  std::optional<std::string> text(std::string_view k, bool allow_control = false) {
    const toml::node* n = get(k);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail(k, fmt::format("expected a string, got {}", type_name(*n)));
    std::string v = n->as_string()->get();
    if (!allow_control && has_control(v)) fail(k, "control characters are not allowed here");
    return v;
  }

  std::optional<bool> boolean(std::string_view k) {
    const toml::node* n = get(k);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) fail(k, fmt::format("expected true or false, got {}", type_name(*n)));
    return n->as_boolean()->get();
  }

  std::optional<std::vector<std::string>> strings(std::string_view k) {
    const toml::node* n = get(k);
    if (!n) return std::nullopt;
    const auto* arr = n->as_array();
    if (!arr) fail(k, fmt::format("expected an array of strings, got {}", type_name(*n)));
    std::vector<std::string> out;
    for (const auto& e : *arr) {
      if (!e.is_string()) fail(k, "expected an array of strings", &e);
      std::string v = e.as_string()->get();
      if (v.find('\0') != std::string::npos) fail(k, "NUL characters cannot be passed", &e);
      out.push_back(std::move(v));
    }
    return out;
  }

  std::optional<std::vector<int>> integers(std::string_view k, int lo, int hi) {
    const toml::node* n = get(k);
    if (!n) return std::nullopt;
    const auto* arr = n->as_array();
    if (!arr || arr->empty()) fail(k, "expected a non-empty array of integers");
    std::vector<int> out;
    for (const auto& e : *arr) {
      if (!e.is_integer()) fail(k, "expected an array of integers", &e);
      const long long v = e.as_integer()->get();
      if (v < lo || v > hi) fail(k, fmt::format("{} is out of range [{}, {}]", v, lo, hi), &e);
      out.push_back(static_cast<int>(v));
    }
    return out;
  }

  const toml::table* table(std::string_view k) {
    const toml::node* n = get(k);
    if (!n) return nullptr;
    if (!n->is_table()) fail(k, fmt::format("expected a table, got {}", type_name(*n)));
    return n->as_table();
  }

  // Every key not read is unknown.
  void finish() const {
    for (auto&& [k, v] : table_) {
      if (used_.count(std::string(k.str())) == 0) {
        throw spec_error(file_, static_cast<int>(k.source().begin.line), key(k.str()),
                         "unknown key");
      }
    }
  }

  static std::string type_name(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::string:
        return "a string";
      case toml::node_type::integer:
        return "an integer";
      case toml::node_type::floating_point:
        return "a number";
      case toml::node_type::boolean:
        return "a boolean";
      case toml::node_type::array:
        return "an array";
      case toml::node_type::table:
        return "a table";
      default:
        return "a date or time";
    }
  }

 private:
  const toml::table& table_;
  std::string prefix_;
  const std::string& file_;
  std::set<std::string> used_;
};

const kernel_info* find_kernel(const kernel_catalogue& kernels, const std::string& name) {
  const auto it = std::find_if(kernels.begin(), kernels.end(),
                               [&](const kernel_info& k) { return k.name == name; });
  return it == kernels.end() ? nullptr : &*it;
}

const param* find_param(const kernel_info* k, const std::string& name) {
  if (!k) return nullptr;
  const auto it = std::find_if(k->params.begin(), k->params.end(),
                               [&](const param& p) { return p.name == name; });
  return it == k->params.end() ? nullptr : &*it;
}

// A TOML scalar as JSON, checked against the kernel's declared type when known.
json param_value(const table_reader& r, std::string_view key, const toml::node& n, const param* p) {
  json v;
  if (n.is_integer()) {
    v = n.as_integer()->get();
  } else if (n.is_floating_point()) {
    v = n.as_floating_point()->get();
  } else if (n.is_boolean()) {
    v = n.as_boolean()->get();
  } else if (n.is_string()) {
    const std::string s = n.as_string()->get();
    if (s.find('\0') != std::string::npos) r.fail(key, "NUL characters cannot be passed", &n);
    v = s;
  } else {
    r.fail(key, "expected a number, string or boolean", &n);
  }
  if (!p) return v;
  if (const std::string wrong = check_value(*p, v); !wrong.empty()) r.fail(key, wrong, &n);
  return v;
}

void unknown_param(const table_reader& r, std::string_view key, const kernel_info& k,
                   const toml::node& n) {
  std::string all;
  for (const auto& p : k.params) all += (all.empty() ? "" : ", ") + p.name;
  r.fail(key, fmt::format("kernel '{}' has no parameter '{}' (it has: {})", k.name, key, all), &n);
}

sweep_spec read_sweep(const toml::table& t, const std::string& prefix, const std::string& file,
                      const kernel_info* kernel, bool is_kernel_step) {
  table_reader r(t, prefix, file);
  sweep_spec s;
  s.line = r.line();
  if (auto v = r.integers("nodes", 1, 100000)) s.nodes = *v;
  if (auto v = r.integers("ranks", 1, 100000)) s.ranks = *v;
  if (auto v = r.integers("threads", 1, 1024)) s.threads = *v;
  if (auto v = r.strings("layouts")) {
    if (!s.ranks.empty() || !s.threads.empty()) {
      r.fail("layouts", "give either layouts or ranks/threads axes, not both");
    }
    for (const auto& l : *v) {
      int ranks = 0, threads = 0;
      char x = 0, extra = 0;
      std::istringstream in(l);
      if (!(in >> ranks >> x >> threads) || x != 'x' || ranks < 1 || threads < 1 || (in >> extra)) {
        r.fail("layouts", fmt::format("'{}' is not RANKSxTHREADS, e.g. \"2x1\"", l));
      }
      s.layouts.emplace_back(ranks, threads);
    }
    if (s.layouts.empty()) r.fail("layouts", "expected at least one layout");
  }
  if (auto v = r.text("scaling")) {
    if (*v != "strong" && *v != "weak") r.fail("scaling", "expected \"strong\" or \"weak\"");
    s.scaling = *v;
  }
  if (auto v = r.strings("weak")) s.weak = *v;
  if (const auto* params = r.table("params")) {
    if (!is_kernel_step) r.fail("params", "only kernel and program steps have parameters to sweep");
    table_reader pr(*params, prefix + ".params", file);
    for (auto&& [k, node] : *params) {
      const std::string name(k.str());
      pr.get(name);
      const auto* p = find_param(kernel, name);
      if (kernel && !p) unknown_param(pr, name, *kernel, node);
      const auto* arr = node.as_array();
      if (!arr || arr->empty()) pr.fail(name, "expected a non-empty array of values", &node);
      std::vector<json> values;
      for (const auto& e : *arr) values.push_back(param_value(pr, name, e, p));
      s.params.emplace_back(name, std::move(values));
    }
  }
  if (s.nodes.empty() && s.ranks.empty() && s.threads.empty() && s.layouts.empty() &&
      s.params.empty()) {
    throw spec_error(file, s.line, prefix, "a sweep needs at least one axis");
  }
  if (!s.weak.empty() && s.scaling != "weak") {
    r.fail("weak", "weak-scaled parameters need scaling = \"weak\"");
  }
  r.finish();
  return s;
}

// Reads `metrics = [{ name, regex, unit, better }, ...]`.
std::vector<metric_pattern> read_metric_patterns(table_reader& r, const std::string& file) {
  std::vector<metric_pattern> out;
  const toml::node* n = r.get("metrics");
  if (!n) return out;
  const auto* arr = n->as_array();
  if (!arr || arr->empty()) {
    r.fail("metrics",
           "expected an array of tables such as { name = \"rate\", regex = "
           "'Rate: ([0-9.]+)', unit = \"MB/s\", better = \"higher\" }");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto* t = arr->get(i)->as_table();
    const std::string key = r.key(fmt::format("metrics[{}]", i + 1));
    if (!t) throw spec_error(file, line_of(*arr->get(i)), key, "expected a table");
    table_reader mr(*t, key, file);
    metric_pattern m;
    m.line = line_of(*arr->get(i));
    const auto name = mr.text("name");
    if (!name || !is_safe_name(*name)) {
      mr.fail("name", "expected a metric name (letters, digits, '.', '_', '-')");
    }
    if (!names.insert(*name).second) mr.fail("name", fmt::format("'{}' is given twice", *name));
    m.name = *name;
    const auto regex = mr.text("regex", true);
    if (!regex || regex->empty())
      mr.fail("regex", "expected a regular expression with one capture");
    try {
      const std::regex re(*regex);
      if (re.mark_count() != 1) {
        mr.fail("regex", fmt::format("has {} capture groups; it needs exactly one, around the "
                                     "number, e.g. 'Rate: ([0-9.eE+-]+)'",
                                     re.mark_count()));
      }
    } catch (const std::regex_error& e) {
      mr.fail("regex", fmt::format("not a regular expression ({})", e.what()));
    }
    m.regex = *regex;
    if (auto v = mr.text("unit")) m.unit = *v;
    if (auto v = mr.text("better")) {
      if (*v != "higher" && *v != "lower") mr.fail("better", "expected \"higher\" or \"lower\"");
      m.higher_is_better = *v == "higher";
    } else {
      mr.fail("better", "missing: say whether \"higher\" or \"lower\" is better");
    }
    mr.finish();
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> read_env(table_reader& r,
                                                          const std::string& file) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto* t = r.table("env");
  if (!t) return out;
  table_reader er(*t, r.key("env"), file);
  for (auto&& [k, node] : *t) {
    const std::string name(k.str());
    const bool ok = !name.empty() && (std::isdigit(static_cast<unsigned char>(name[0])) == 0) &&
                    std::all_of(name.begin(), name.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
                    });
    if (!ok) er.fail(name, "not an environment variable name (letters, digits, '_')", &node);
    const auto value = er.text(name);
    out.emplace_back(name, *value);
  }
  return out;
}

step_spec read_step(const toml::table& t, std::size_t index, const std::string& file,
                    const kernel_catalogue& kernels) {
  step_spec s;
  s.line = line_of(t);
  table_reader r(t, fmt::format("step[{}]", index + 1), file);
  const auto kernel = r.text("kernel");
  const auto data = r.strings("data");
  const auto program = r.strings("program");
  const auto command = r.strings("command");
  const int kinds = (kernel ? 1 : 0) + (data ? 1 : 0) + (program ? 1 : 0) + (command ? 1 : 0);
  if (kinds != 1) {
    throw spec_error(file, s.line, r.key("kernel"),
                     "each step runs exactly one of: kernel = \"...\", data = [...], "
                     "program = [...] (under mpirun/srun), command = [...] (once, directly)");
  }
  if (auto v = r.text("name")) {
    if (!is_safe_name(*v)) {
      r.fail("name",
             fmt::format("'{}' is not a valid name: use letters, digits, '.', '_', '-'", *v));
    }
    s.name = *v;
  } else if (program) {
    s.name = program->empty() ? "program" : fs::path((*program)[0]).filename().string();
    if (!is_safe_name(s.name)) s.name = "program";
  } else {
    s.name = kernel ? *kernel : data ? "data" : "command";
  }
  const kernel_info* info = nullptr;
  if (kernel) {
    s.kind = step_kind::kernel;
    s.kernel = *kernel;
    if (!is_safe_name(s.kernel))
      r.fail("kernel", fmt::format("'{}' is not a kernel name", *kernel));
    if (!kernels.empty()) {
      info = find_kernel(kernels, s.kernel);
      if (!info) {
        r.fail("kernel", fmt::format("unknown kernel '{}'; 'weft kernels' lists them", s.kernel));
      }
      if (const auto* restart = find_param(info, "restart");
          restart && restart->type == param_type::flag) {
        s.checkpoints = true;
        s.restart_flag = "restart";
      }
    }
  } else if (data) {
    s.kind = step_kind::data;
    if (data->empty())
      r.fail("data", "expected the `weft data` arguments, e.g. [\"generate\", ...]");
    s.args = *data;
  } else if (program) {
    s.kind = step_kind::program;
    if (program->empty() || (*program)[0].empty()) {
      r.fail("program",
             "expected the program and its arguments, e.g. [\"./my_app\", \"--n\", "
             "\"{n}\"]");
    }
    s.args = *program;
  } else {
    s.kind = step_kind::command;
    if (command->empty() || (*command)[0].empty()) r.fail("command", "expected a program to run");
    s.args = *command;
  }
  const bool has_params = s.kind == step_kind::kernel || s.kind == step_kind::program;
  if (const auto* params = r.table("params")) {
    if (!has_params) r.fail("params", "only kernel and program steps have parameters");
    table_reader pr(*params, r.key("params"), file);
    for (auto&& [k, node] : *params) {
      const std::string name(k.str());
      pr.get(name);
      if (s.kind == step_kind::program && !is_safe_name(name)) {
        pr.fail(name, "expected a name of letters, digits, '.', '_', '-'", &node);
      }
      const auto* p = find_param(info, name);
      if (info && !p) unknown_param(pr, name, *info, node);
      if (s.kind == step_kind::kernel &&
          (name == "json" || name == "threads" || name == "repeat")) {
        pr.fail(name, "set by the launcher; not a kernel parameter", &node);
      }
      s.params[name] = param_value(pr, name, node, p);
    }
  }
  if (auto v = r.integer("ranks", 1, 100000)) s.ranks = static_cast<int>(*v);
  if (auto v = r.integer("threads", 1, 1024)) s.threads = static_cast<int>(*v);
  if (auto v = r.integer("repeats", 1, 1000)) s.repeats = static_cast<int>(*v);
  if (auto v = r.boolean("checkpoint")) s.checkpoints = *v;
  if (auto v = r.text("restart_flag")) {
    if (!is_safe_name(*v)) r.fail("restart_flag", "expected an option name such as \"restart\"");
    s.restart_flag = *v;
  }
  if (s.checkpoints && s.kind != step_kind::kernel && s.kind != step_kind::program) {
    r.fail("checkpoint", "only kernel and program steps checkpoint");
  }
  if (s.checkpoints && s.kind == step_kind::program && s.restart_flag.empty()) {
    r.fail("checkpoint",
           "a program step that checkpoints needs restart_flag, the option that "
           "makes it resume (e.g. restart_flag = \"restart\")");
  }
  s.env = read_env(r, file);
  if (auto v = r.strings("launcher_args")) {
    if (s.kind == step_kind::command) {
      r.fail("launcher_args", "command steps run without a launcher; use a program step");
    }
    s.launcher_args = *v;
  }
  s.metrics = read_metric_patterns(r, file);
  if (auto v = r.text("sanity", true)) {
    try {
      const std::regex re(*v);
    } catch (const std::regex_error& e) {
      r.fail("sanity", fmt::format("not a regular expression ({})", e.what()));
    }
    s.sanity = *v;
  }
  if ((!s.metrics.empty() || !s.sanity.empty()) && s.kind != step_kind::program &&
      s.kind != step_kind::command) {
    r.fail(s.metrics.empty() ? "sanity" : "metrics",
           "kernel and data steps report their own figures; patterns read a program's output");
  }
  if (const auto* sw = r.table("sweep")) {
    if (s.kind == step_kind::command)
      r.fail("sweep", "command steps run once; sweep a program step");
    s.sweep = read_sweep(*sw, r.key("sweep"), file, info, has_params);
    for (const auto& w : s.sweep->weak) {
      const bool swept = std::any_of(s.sweep->params.begin(), s.sweep->params.end(),
                                     [&](const auto& a) { return a.first == w; });
      const bool numeric = s.params.contains(w) && s.params[w].is_number();
      if (swept || !numeric) {
        throw spec_error(file, s.sweep->line, r.key("sweep.weak"),
                         fmt::format("'{}' must be a numeric entry of params (not a swept "
                                     "axis) to scale with the workers",
                                     w));
      }
    }
  }
  // Parameters the kernel cannot run without, given neither in params nor in the sweep.
  if (info) {
    for (const auto& p : info->params) {
      if (!p.required || s.params.contains(p.name)) continue;
      const bool swept = s.sweep && std::any_of(s.sweep->params.begin(), s.sweep->params.end(),
                                                [&](const auto& a) { return a.first == p.name; });
      if (!swept) {
        r.fail("params", fmt::format("kernel '{}' needs '{}' ({}); add it to params, e.g. "
                                     "params = {{ {} = ... }}",
                                     s.kernel, p.name, p.help, p.name));
      }
    }
  }
  // Placeholders a program's arguments use must be parameters.
  if (s.kind == step_kind::program) {
    static const std::set<std::string> builtin = {"input", "output",  "weft",  "spec_dir", "run",
                                                  "ranks", "threads", "nodes", "record"};
    const std::regex ph(R"(\{([A-Za-z0-9._-]+)\})");
    for (const auto& a : s.args) {
      for (std::sregex_iterator it(a.begin(), a.end(), ph), end; it != end; ++it) {
        const std::string name = (*it)[1];
        const bool swept = s.sweep && std::any_of(s.sweep->params.begin(), s.sweep->params.end(),
                                                  [&](const auto& x) { return x.first == name; });
        if (builtin.count(name) == 0 && !s.params.contains(name) && !swept) {
          r.fail("program", fmt::format("'{{{}}}' names no parameter: add {} to params (or the "
                                        "sweep), or use one of {{input}} {{output}} {{run}} "
                                        "{{ranks}} {{threads}} {{nodes}} {{record}}",
                                        name, name));
        }
      }
    }
  }
  r.finish();
  return s;
}

// `[[reference]]` tables (in the spec, or in the references file it names).
void read_references(const toml::node* node, const std::string& file,
                     std::vector<reference_spec>& out) {
  if (!node) return;
  const auto* arr = node->as_array();
  if (!arr || !arr->is_array_of_tables()) {
    throw spec_error(file, line_of(*node), "reference", "expected [[reference]] tables");
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto& t = *arr->get(i)->as_table();
    table_reader rr(t, fmt::format("reference[{}]", i + 1), file);
    reference_spec ref;
    ref.file = file;
    ref.line = rr.line();
    if (auto v = rr.text("system")) ref.system = *v;
    if (auto v = rr.text("step")) ref.step = *v;
    if (auto v = rr.text("run")) ref.run = *v;
    const auto metric = rr.text("metric");
    if (!metric || metric->empty()) rr.fail("metric", "missing: the metric this reference is for");
    ref.metric = *metric;
    const auto number = [&](std::string_view key) -> std::optional<double> {
      const toml::node* n = rr.get(key);
      if (!n) return std::nullopt;
      if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
      if (n->is_floating_point() && std::isfinite(n->as_floating_point()->get())) {
        return n->as_floating_point()->get();
      }
      rr.fail(key, "expected a finite number");
    };
    const auto value = number("value");
    if (!value) rr.fail("value", "missing: the reference value");
    ref.value = *value;
    ref.lower = number("lower");
    ref.upper = number("upper");
    for (const auto& [key, v] : {std::pair{"lower", ref.lower}, std::pair{"upper", ref.upper}}) {
      if (v && (*v < 0 || (std::string_view(key) == "lower" && *v > 1))) {
        rr.fail(key, "expected a fraction of the value, e.g. 0.05 for 5 % (lower at most 1)");
      }
    }
    if (!ref.lower && !ref.upper) {
      rr.fail("value", "give a tolerance: lower = 0.05 (5 % below passes), upper = ..., or both");
    }
    if (auto v = rr.text("better")) {
      if (*v != "higher" && *v != "lower") rr.fail("better", "expected \"higher\" or \"lower\"");
      ref.higher_is_better = *v == "higher";
    }
    if (auto v = rr.text("unit")) ref.unit = *v;
    rr.finish();
    out.push_back(std::move(ref));
  }
}

void check_layout(const job_spec& spec, int ranks, int threads, int line, const std::string& key) {
  const auto& res = spec.resources;
  if (!res.cores_per_node || spec.binding.oversubscribe) return;
  const int per_node = (ranks + res.nodes - 1) / res.nodes;
  if (per_node * threads > *res.cores_per_node) {
    throw spec_error(spec.file, line, key,
                     fmt::format("{} rank{} x {} thread{} per node needs {} cores, but "
                                 "resources.cores_per_node is {}; set binding.oversubscribe = "
                                 "true to allow it",
                                 per_node, per_node == 1 ? "" : "s", threads,
                                 threads == 1 ? "" : "s", per_node * threads, *res.cores_per_node));
  }
}

}  // namespace

job_spec parse_spec(const std::string& text, const std::string& file,
                    const kernel_catalogue& kernels) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw spec_error(file, static_cast<int>(e.source().begin.line), "",
                     std::string(e.description()));
  }
  job_spec spec;
  spec.file = file;
  spec.text = text;
  table_reader r(root, "", file);

  const auto name = r.text("name");
  if (!name) throw spec_error(file, 1, "name", "missing: every job needs a name");
  if (!is_safe_name(*name)) {
    r.fail("name", fmt::format("'{}' is not a valid job name: use letters, digits, '.', '_', "
                               "'-' (at most 64, not starting with '-' or '.')",
                               *name));
  }
  spec.name = *name;
  if (auto v = r.text("description", true)) spec.description = *v;
  if (auto v = r.integer("repeats", 1, 1000)) spec.repeats = static_cast<int>(*v);
  if (const toml::node* n = r.get("time_limit")) {
    std::optional<int> seconds;
    if (n->is_integer() && n->as_integer()->get() > 0 && n->as_integer()->get() < 366 * 86400) {
      seconds = static_cast<int>(n->as_integer()->get());
    } else if (n->is_string()) {
      seconds = parse_duration(n->as_string()->get());
    }
    if (!seconds)
      r.fail("time_limit", "expected seconds or a duration such as \"10m\" or \"01:30:00\"");
    spec.run_time_limit_s = *seconds;
  }
  if (const toml::node* n = r.get("hang_timeout")) {
    std::optional<int> seconds;
    if (n->is_integer() && n->as_integer()->get() > 0 && n->as_integer()->get() < 366 * 86400) {
      seconds = static_cast<int>(n->as_integer()->get());
    } else if (n->is_string()) {
      seconds = parse_duration(n->as_string()->get());
    }
    if (!seconds || *seconds < 1) {
      r.fail("hang_timeout", "expected seconds or a duration such as \"90s\" or \"5m\"");
    }
    spec.hang_timeout_s = *seconds;
  }

  if (const auto* t = r.table("resources")) {
    table_reader rr(*t, "resources", file);
    spec.resources_line = rr.line();
    auto& res = spec.resources;
    if (auto v = rr.integer("nodes", 1, 100000)) res.nodes = static_cast<int>(*v);
    const auto ranks = rr.integer("ranks", 1, 10000000);
    if (auto v = rr.integer("ranks_per_node", 1, 100000)) res.ranks_per_node = static_cast<int>(*v);
    if (ranks) {
      res.ranks = static_cast<int>(*ranks);
    } else if (res.ranks_per_node) {
      res.ranks = res.nodes * *res.ranks_per_node;
    } else {
      res.ranks = res.nodes;
    }
    if (res.ranks < res.nodes)
      rr.fail("ranks", fmt::format("{} ranks cannot fill {} nodes", res.ranks, res.nodes));
    if (res.ranks_per_node && res.ranks > res.nodes * *res.ranks_per_node) {
      rr.fail("ranks", fmt::format("{} ranks do not fit {} nodes x {} ranks per node", res.ranks,
                                   res.nodes, *res.ranks_per_node));
    }
    if (auto v = rr.integer("threads", 1, 1024)) res.threads = static_cast<int>(*v);
    if (auto v = rr.integer("cores_per_node", 1, 100000)) res.cores_per_node = static_cast<int>(*v);
    if (auto v = rr.text("hostfile")) {
      if (v->empty()) rr.fail("hostfile", "expected the path of an mpirun hostfile");
      // Relative to the spec's folder, like the spec's other paths.
      res.hostfile =
          fs::path(*v).is_absolute()
              ? *v
              : (fs::absolute(fs::path(file)).parent_path() / *v).lexically_normal().string();
    }
    if (auto v = rr.text("time")) {
      const auto seconds = parse_duration(*v);
      if (!seconds)
        rr.fail("time", "expected a duration such as \"00:30:00\", \"2-00:00:00\" or \"45m\"");
      res.time = slurm_time(*seconds);
    }
    const auto slurm_word = [&](std::string_view key, std::string& into) {
      if (auto v = rr.text(key)) {
        const bool ok =
            !v->empty() && v->size() <= 128 && std::all_of(v->begin(), v->end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
                     c == '-' || c == ',';
            });
        if (!ok)
          rr.fail(key, fmt::format("'{}' is not a valid Slurm name (letters, digits, '.', "
                                   "'_', '-', ',')",
                                   *v));
        into = *v;
      }
    };
    slurm_word("partition", res.partition);
    slurm_word("account", res.account);
    if (auto v = rr.text("memory")) {
      std::size_t digits = 0;
      while (digits < v->size() && std::isdigit(static_cast<unsigned char>((*v)[digits])) != 0) {
        ++digits;
      }
      const std::string unit = v->substr(digits);
      if (digits == 0 || digits > 9 ||
          !(unit.empty() || unit == "K" || unit == "M" || unit == "G" || unit == "T")) {
        rr.fail("memory", "expected a size such as \"4G\" or \"500M\"");
      }
      res.memory = *v;
    }
    if (auto v = rr.boolean("exclusive")) res.exclusive = *v;
    rr.finish();
  }

  if (const auto* t = r.table("binding")) {
    table_reader br(*t, "binding", file);
    spec.binding_line = br.line();
    if (auto v = br.text("policy")) {
      if (*v != "cores" && *v != "socket" && *v != "none") {
        br.fail("policy", "expected \"cores\", \"socket\" or \"none\"");
      }
      spec.binding.policy = *v;
    }
    if (auto v = br.boolean("oversubscribe")) spec.binding.oversubscribe = *v;
    br.finish();
  }

  if (const auto* t = r.table("paths")) {
    table_reader pr(*t, "paths", file);
    spec.paths_line = pr.line();
    if (auto v = pr.text("input")) spec.input = *v;
    if (auto v = pr.text("output")) spec.output = *v;
    if (auto v = pr.text("history")) spec.history = *v;
    pr.finish();
  }
  if (spec.output.empty()) spec.output = "results/" + spec.name;

  if (const auto* t = r.table("slurm")) {
    table_reader sr(*t, "slurm", file);
    if (auto v = sr.text("launcher")) {
      if (*v != "srun" && *v != "mpirun") sr.fail("launcher", "expected \"srun\" or \"mpirun\"");
      spec.slurm.launcher = *v;
    }
    if (auto v = sr.integer("signal_lead", 1, 86400))
      spec.slurm.signal_lead_s = static_cast<int>(*v);
    if (auto v = sr.boolean("requeue")) spec.slurm.requeue = *v;
    if (auto v = sr.boolean("collect")) spec.slurm.collect = *v;
    sr.finish();
  }

  const toml::node* steps = r.get("step");
  if (!steps) throw spec_error(file, 1, "step", "missing: add at least one [[step]]");
  const auto* arr = steps->as_array();
  if (!arr || arr->empty() || !arr->is_array_of_tables()) {
    r.fail("step", "expected one or more [[step]] tables");
  }
  read_references(r.get("reference"), file, spec.references);
  if (auto v = r.text("references")) {
    // Relative to the spec's folder; the file holds [[reference]] tables only.
    const fs::path path =
        fs::path(*v).is_absolute() ? fs::path(*v) : fs::absolute(fs::path(file)).parent_path() / *v;
    std::ifstream in(path, std::ios::binary);
    if (!in) r.fail("references", fmt::format("cannot read {}", path.lexically_normal().string()));
    std::ostringstream text_of;
    text_of << in.rdbuf();
    const std::string rfile = fs::path(*v).is_absolute() ? *v : path.lexically_normal().string();
    toml::table refs;
    try {
      refs = toml::parse(text_of.str(), rfile);
    } catch (const toml::parse_error& e) {
      throw spec_error(rfile, static_cast<int>(e.source().begin.line), "",
                       std::string(e.description()));
    }
    table_reader fr(refs, "", rfile);
    read_references(fr.get("reference"), rfile, spec.references);
    fr.finish();
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto& node = *arr->get(i);
    step_spec s = read_step(*node.as_table(), i, file, kernels);
    if (!names.insert(s.name).second) {
      throw spec_error(file, s.line, fmt::format("step[{}].name", i + 1),
                       fmt::format("two steps are named '{}'; give each a distinct name", s.name));
    }
    spec.steps.push_back(std::move(s));
  }
  r.finish();
  for (const auto& ref : spec.references) {
    const bool glob = ref.step.find_first_of("*?[") != std::string::npos;
    if (glob) continue;
    const auto it = std::find_if(spec.steps.begin(), spec.steps.end(),
                                 [&](const step_spec& s) { return s.name == ref.step; });
    if (it == spec.steps.end()) {
      throw spec_error(ref.file, ref.line, "step", fmt::format("no step is named '{}'", ref.step));
    }
    if (!it->metrics.empty() &&
        std::none_of(it->metrics.begin(), it->metrics.end(),
                     [&](const metric_pattern& m) { return m.name == ref.metric; })) {
      std::string all;
      for (const auto& m : it->metrics) all += (all.empty() ? "" : ", ") + m.name;
      throw spec_error(
          ref.file, ref.line, "metric",
          fmt::format("step '{}' has no metric '{}' (it has: {})", ref.step, ref.metric, all));
    }
  }

  // Layouts that cannot fit the nodes, when the node size is known.
  check_layout(spec, spec.resources.ranks, spec.resources.threads, spec.resources_line,
               "resources");
  for (std::size_t i = 0; i < spec.steps.size(); ++i) {
    const auto& s = spec.steps[i];
    const int ranks = s.ranks.value_or(spec.resources.ranks);
    const int threads = s.threads.value_or(spec.resources.threads);
    const std::string key = fmt::format("step[{}]", i + 1);
    check_layout(spec, ranks, threads, s.line, key);
    if (!s.sweep) continue;
    for (const auto& [lr, lt] : s.sweep->layouts)
      check_layout(spec, lr, lt, s.sweep->line, key + ".sweep");
    for (int sr : s.sweep->ranks.empty() ? std::vector<int>{ranks} : s.sweep->ranks) {
      for (int st : s.sweep->threads.empty() ? std::vector<int>{threads} : s.sweep->threads) {
        if (s.sweep->layouts.empty()) check_layout(spec, sr, st, s.sweep->line, key + ".sweep");
      }
    }
  }
  return spec;
}

job_spec load_spec(const std::string& file, const kernel_catalogue& kernels) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read the job spec", file));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_spec(ss.str(), file, kernels);
}

}  // namespace weft::launch
