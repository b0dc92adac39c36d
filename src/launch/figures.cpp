#include "launch/figures.hpp"

#include <fnmatch.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "launch/results.hpp"
#include "launch/shell.hpp"
#include "weft/base/error.hpp"
#include "weft/base/utc_time.hpp"
#include "weft/build_info.hpp"

namespace weft::launch {

namespace fs = std::filesystem;

namespace {

std::string env_or(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

bool glob_match(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

// The last match of the pattern's capture group, parsed as a number.
std::optional<double> last_number(const std::regex& re, const std::string& text,
                                  std::string& matched) {
  std::optional<double> out;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
    matched = (*it)[1].str();
    char* stop = nullptr;
    const double v = std::strtod(matched.c_str(), &stop);
    out = stop != matched.c_str() && *stop == '\0' && std::isfinite(v) ? std::optional(v)
                                                                       : std::nullopt;
  }
  return out;
}

std::string number_text(double v) {
  return fmt::format("{:.4g}", v);
}

}  // namespace

system_id system_id::here() {
  system_id s;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  s.host = host;
  s.cluster = env_or("SLURM_CLUSTER_NAME");
  s.partition = env_or("SLURM_JOB_PARTITION");
  return s;
}

std::string system_id::name() const {
  std::string n = cluster.empty() ? host : cluster;
  for (char& c : n) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_' && c != '.') {
      c = '_';
    }
  }
  return n.empty() || n[0] == '.' ? "system" : n;
}

bool system_id::matches(const std::string& pattern) const {
  if (const auto colon = pattern.find(':'); colon != std::string::npos) {
    return !cluster.empty() && glob_match(pattern.substr(0, colon), cluster) &&
           glob_match(pattern.substr(colon + 1), partition);
  }
  return glob_match(pattern, host);
}

record program_record(const job_plan& plan, const run_spec& run, const std::string& output,
                      int exit_code, double seconds) {
  const auto& step = plan.spec.steps[run.step];
  record r;
  bool own = false;
  // A weft record the program wrote itself comes first; patterns add to it.
  if (!run.record.empty() && fs::exists(run.record)) {
    try {
      r = read_record(run.record);
      own = true;
    } catch (const input_error&) {
      own = false;
    }
  }
  std::vector<std::string> problems;
  if (!own) {
    r.kernel = fs::path(step.args[0]).filename().string();
    r.parameters = run.params;
    r.placement.ranks = run.ranks;
    r.placement.threads = run.threads;
    r.placement.nodes = run.nodes;
    if (seconds > 0) r.phases.push_back({"run", seconds, seconds, seconds});
    r.provenance["software"] = r.kernel;
    r.provenance["host"] = system_id::here().host;
    r.provenance["date"] = utc_time();
    r.provenance["command_line"] = shell_line(run.args);
    r.provenance["ranks"] = run.ranks;
    r.provenance["threads_per_rank"] = run.threads;
    r.provenance["launched_by"] =
        fmt::format("weft {} ({})", build_info::version, build_info::git_revision);
  }
  std::vector<std::string> checks;
  if (exit_code >= 0) {
    checks.emplace_back("exit code 0");
    if (exit_code != 0) problems.push_back(fmt::format("exit code {}", exit_code));
  }
  for (const auto& m : step.metrics) {
    std::string matched;
    const auto value = last_number(std::regex(m.regex), output, matched);
    if (!value) {
      problems.push_back(matched.empty()
                             ? fmt::format("metric '{}': its pattern matched nothing", m.name)
                             : fmt::format("metric '{}': '{}' is not a number", m.name, matched));
      continue;
    }
    if (r.find_metric(m.name)) continue;  // the program's own record wins
    r.metrics.push_back({m.name, *value, m.unit, m.higher_is_better,
                         fmt::format("last match of '{}' in the output", m.regex)});
  }
  if (!step.metrics.empty()) checks.emplace_back("every metric pattern matched");
  if (!step.sanity.empty()) {
    checks.push_back(fmt::format("output matches '{}'", step.sanity));
    if (!std::regex_search(output, std::regex(step.sanity))) {
      problems.push_back(
          fmt::format("the output does not match the sanity pattern '{}'", step.sanity));
    }
  }
  std::string method;
  for (const auto& c : checks) method += (method.empty() ? "" : ", ") + c;
  if (own) {
    r.check.passed = r.check.passed && problems.empty();
    if (!method.empty()) r.check.method += (r.check.method.empty() ? "" : "; ") + method;
  } else {
    r.check.passed = problems.empty();
    r.check.method = method.empty() ? "none (no sanity pattern, exit code unknown)" : method;
  }
  std::string detail;
  for (const auto& p : problems) detail += (detail.empty() ? "" : "; ") + p;
  if (!detail.empty()) r.check.detail += (r.check.detail.empty() ? "" : "; ") + detail;
  return r;
}

json verdicts(const job_spec& spec, const record& r, const std::string& step,
              const std::string& run_id, const system_id& system) {
  system_id sys = system;
  if (const auto host = r.provenance.find("host");
      host != r.provenance.end() && host->is_string() && !host->get<std::string>().empty()) {
    sys.host = host->get<std::string>();
  }
  json out = json::array();
  for (const auto& m : r.metrics) {
    json v;
    v["metric"] = m.name;
    v["value"] = m.value;
    v["unit"] = m.unit;
    v["better"] = m.higher_is_better ? "higher" : "lower";
    v["verdict"] = "no reference";
    for (const auto& ref : spec.references) {
      if (ref.metric != m.name || !glob_match(ref.step, step) || !glob_match(ref.run, run_id) ||
          !sys.matches(ref.system)) {
        continue;
      }
      const bool higher = ref.higher_is_better.value_or(m.higher_is_better);
      const double magnitude = std::abs(ref.value);
      const double low = ref.lower ? ref.value - *ref.lower * magnitude : -HUGE_VAL;
      const double high = ref.upper ? ref.value + *ref.upper * magnitude : HUGE_VAL;
      const bool unit_ok = ref.unit.empty() || ref.unit == m.unit;
      v["better"] = higher ? "higher" : "lower";
      v["reference"] = ref.value;
      v["low"] = ref.lower ? json(low) : json(nullptr);
      v["high"] = ref.upper ? json(high) : json(nullptr);
      v["system"] = ref.system;
      v["reference_at"] = fmt::format("{}:{}", ref.file, ref.line);
      v["change_percent"] =
          ref.value != 0 ? json(100.0 * (m.value - ref.value) / magnitude) : json(nullptr);
      v["verdict"] = unit_ok && m.value >= low && m.value <= high ? "pass" : "fail";
      if (!unit_ok) {
        v["note"] = fmt::format("the reference is in {}, the metric in {}", ref.unit, m.unit);
      }
      break;
    }
    out.push_back(v);
  }
  return out;
}

std::string overall_verdict(const json& verdicts) {
  bool pass = false;
  for (const auto& v : verdicts) {
    if (v.value("verdict", "") == "fail") return "fail";
    pass = pass || v.value("verdict", "") == "pass";
  }
  return pass ? "pass" : "no reference";
}

std::vector<std::string> verdict_failures(const json& verdicts) {
  std::vector<std::string> out;
  for (const auto& v : verdicts) {
    if (v.value("verdict", "") != "fail") continue;
    const double value = v["value"].get<double>();
    const double ref = v["reference"].get<double>();
    const std::string unit = v.value("unit", "");
    const std::string u = unit.empty() ? "" : " " + unit;
    if (v.contains("note")) {
      out.push_back(
          fmt::format("{}: {}", v["metric"].get<std::string>(), v["note"].get<std::string>()));
      continue;
    }
    const bool below = value < ref;
    const double pct = ref != 0 ? 100.0 * std::abs(value - ref) / std::abs(ref) : 0;
    const bool worse = below == (v.value("better", "higher") == "higher");
    out.push_back(fmt::format(
        "{} {}{} is {:.1f} % {} the reference {}{} ({}), outside [{}, {}]",
        v["metric"].get<std::string>(), number_text(value), u, pct, below ? "below" : "above",
        number_text(ref), u, worse ? "worse" : "better, but outside the tolerance",
        v["low"].is_number() ? number_text(v["low"].get<double>()) : "-inf",
        v["high"].is_number() ? number_text(v["high"].get<double>()) : "inf"));
  }
  return out;
}

std::string history_file(const job_plan& plan, const system_id& system) {
  const fs::path dir = plan.spec.history.empty() ? fs::path(plan.output).parent_path() / "history"
                                                 : fs::absolute(plan.spec.history);
  return (dir / (system.name() + ".jsonl")).lexically_normal().string();
}

void append_history(const job_plan& plan, const run_spec& run, const record& r,
                    const json& verdicts, const system_id& system, const std::string& job_time) {
  const std::string file = history_file(plan, system);
  std::error_code ec;
  fs::create_directories(fs::path(file).parent_path(), ec);
  json line;
  line["schema"] = "weft.history/1";
  line["time"] = r.provenance.value("date", utc_time());
  line["job_time"] = job_time;
  const json annotation = run_annotation(plan, run);
  for (const auto& [k, v] : annotation.items()) line[k] = v;
  line["nodes"] = run.nodes;
  line["kernel"] = r.kernel;
  line["host"] = r.provenance.value("host", system.host);
  line["system"] = system.name();
  line["git_revision"] = r.provenance.value("git_revision", std::string(build_info::git_revision));
  line["validation"] = r.check.passed ? "passed" : "failed";
  line["verdict"] = overall_verdict(verdicts);
  json metrics = json::object();
  for (const auto& m : r.metrics) {
    metrics[m.name] = {
        {"value", m.value}, {"unit", m.unit}, {"better", m.higher_is_better ? "higher" : "lower"}};
  }
  line["metrics"] = metrics;
  line["results"] = plan.output;
  // One write of one line, so that concurrent appenders do not interleave within a line.
  std::ofstream out(file, std::ios::app);
  out << line.dump() + "\n";
  if (!out) {
    throw std::runtime_error(fmt::format("cannot append to the history file {}", file));
  }
}

}  // namespace weft::launch
