#include "launch/results.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "launch/figures.hpp"
#include "weft/base/error.hpp"
#include "weft/base/record.hpp"
#include "weft/base/staged_file.hpp"
#include "weft/base/utc_time.hpp"
#include "weft/build_info.hpp"

namespace weft::launch {

namespace fs = std::filesystem;

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

namespace {

// The run's record, or nullopt when it is missing or not a record.
std::optional<record> read_run_record(const std::string& path) {
  try {
    return read_record(path);
  } catch (const input_error&) {
    return std::nullopt;
  }
}

std::string kind_name(step_kind k) {
  switch (k) {
    case step_kind::kernel:
      return "kernel";
    case step_kind::data:
      return "data";
    case step_kind::program:
      return "program";
    case step_kind::command:
      return "command";
  }
  return "?";
}

std::string sweep_text(const json& sweep) {
  std::string out;
  for (const auto& [k, v] : sweep.items()) {
    if (!out.empty()) out += ';';
    out += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

}  // namespace

json run_annotation(const job_plan& plan, const run_spec& run) {
  const auto& step = plan.spec.steps[run.step];
  json j;
  j["job"] = plan.spec.name;
  j["step"] = step.name;
  j["run"] = run.id;
  j["point"] = run.point;
  j["points"] = run.points;
  j["repeat"] = run.repeat;
  j["ranks"] = run.ranks;
  j["threads"] = run.threads;
  j["sweep"] = run.sweep;
  if (step.sweep) j["scaling"] = step.sweep->scaling;
  return j;
}

std::optional<record> annotate_record(const job_plan& plan, const run_spec& run) {
  if (run.record.empty()) return std::nullopt;
  auto rec = read_run_record(run.record);
  if (!rec) return std::nullopt;
  rec->job = run_annotation(plan, run);
  rec->job["verdicts"] =
      verdicts(plan.spec, *rec, plan.spec.steps[run.step].name, run.id, system_id::here());
  rec->job["verdict"] = overall_verdict(rec->job["verdicts"]);
  write_file_atomically(run.record, rec->to_json().dump(2) + "\n");
  return rec;
}

std::string state_file(const job_plan& plan, const run_spec& run) {
  return plan.output + "/runs/" + run.id + ".state.json";
}

std::optional<run_state> read_state(const job_plan& plan, const run_spec& run) {
  std::ifstream in(state_file(plan, run));
  if (!in) return std::nullopt;
  const json j = json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("status") || !j["status"].is_string()) return std::nullopt;
  run_state s;
  s.status = j["status"].get<std::string>();
  s.exit_code = j.value("exit_code", 0);
  s.seconds = j.value("wall_s", 0.0);
  s.finished = j.value("finished", "");
  s.key = j.value("key", "");
  if (j.contains("files") && j["files"].is_object()) s.files = j["files"];
  return s;
}

void write_state(const job_plan& plan, const run_spec& run, const run_state& state) {
  json j;
  j["schema"] = "weft.run-state/1";
  j["run"] = run.id;
  j["status"] = state.status;
  j["exit_code"] = state.exit_code;
  j["wall_s"] = state.seconds;
  j["finished"] = state.finished;
  j["key"] = state.key;
  j["files"] = state.files;
  write_file_atomically(state_file(plan, run), j.dump(2) + "\n");
}

namespace {

// A program run under Slurm left its output in runs/<run>.log and its exit code in
// runs/<run>.exit; its record is made from them when the job is collected.
void record_program_run(const job_plan& plan, const run_spec& run) {
  const std::string log = plan.output + "/runs/" + run.id + ".log";
  if (run.kind != step_kind::program || !fs::exists(log)) return;
  if (auto existing = read_run_record(run.record);
      existing && !existing->provenance.contains("launched_by")) {
    return;  // the program's own record, already merged
  }
  int exit_code = -1;
  std::ifstream code(plan.output + "/runs/" + run.id + ".exit");
  if (!(code >> exit_code)) exit_code = -1;
  if (fs::exists(run.record) && exit_code < 0) return;
  const record r = program_record(plan, run, read_file_text(log), exit_code, 0);
  write_file_atomically(run.record, r.to_json().dump(2) + "\n");
}

}  // namespace

collect_summary collect_results(const job_plan& plan,
                                const std::map<std::string, run_outcome>& outcomes,
                                const json& extra) {
  collect_summary sum;
  std::string csv =
      "run,step,kind,point,repeat,ranks,threads,workers,status,exit_code,wall_s,validation,"
      "verdict,metric,value,unit,sweep,record\n";
  json runs = json::array();
  for (const auto& run : plan.runs) {
    ++sum.runs;
    const auto& step = plan.spec.steps[run.step];
    const auto found = outcomes.find(run.id);
    const run_outcome* outcome = found == outcomes.end() ? nullptr : &found->second;
    std::optional<record> rec;
    if (!run.record.empty()) {
      if (!outcome) record_program_run(plan, run);
      rec = annotate_record(plan, run);
      if (rec) {
        ++sum.records;
      } else {
        ++sum.missing;
      }
    }
    std::string validation, verdict, metric, value, unit;
    if (rec) {
      const bool passed = rec->check.passed;
      validation = passed ? "passed" : "failed";
      if (passed) ++sum.passed;
      verdict = rec->job.value("verdict", "no reference");
      if (verdict == "fail") {
        ++sum.references_failed;
        for (const auto& line : verdict_failures(rec->job["verdicts"])) {
          sum.failed_messages.push_back(run.id + ": " + line);
        }
      }
      if (!rec->metrics.empty()) {
        const auto& m = rec->metrics.front();
        metric = m.name;
        value = fmt::format("{}", m.value);
        unit = m.unit;
      }
    }
    std::string status;
    if (outcome) {
      status = outcome->status;
    } else if (run.record.empty()) {
      status = "unknown";
    } else {
      status = rec ? (validation == "passed" ? "ok" : "failed") : "missing";
    }
    const std::string rel = rec ? fs::relative(run.record, plan.output).string() : std::string();
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(run.id),
                       csv_field(step.name), kind_name(run.kind), run.point, run.repeat, run.ranks,
                       run.threads, run.ranks * run.threads, status,
                       outcome ? std::to_string(outcome->exit_code) : "",
                       outcome ? fmt::format("{:.3f}", outcome->seconds) : "", validation,
                       csv_field(verdict), csv_field(metric), value, csv_field(unit),
                       csv_field(sweep_text(run.sweep)), csv_field(rel));
    json r = run_annotation(plan, run);
    r["kind"] = kind_name(run.kind);
    r["status"] = status;
    if (outcome) {
      r["exit_code"] = outcome->exit_code;
      r["wall_s"] = outcome->seconds;
      r["command"] = outcome->command;
      if (outcome->reused) r["reused"] = true;
    }
    if (!run.record.empty()) r["record"] = rel.empty() ? json(nullptr) : json(rel);
    if (rec) r["verdict"] = verdict;
    runs.push_back(r);
  }
  write_file_atomically(plan.output + "/summary.csv", csv);

  json prov;
  prov["schema"] = "weft.job-provenance/1";
  prov["job"] = plan.spec.name;
  prov["description"] = plan.spec.description;
  prov["spec_file"] = fs::absolute(plan.spec.file).lexically_normal().string();
  prov["spec"] = plan.spec.text;
  prov["weft"] = {{"executable", plan.weft},
                  {"version", build_info::version},
                  {"git_revision", build_info::git_revision},
                  {"compiler", build_info::compiler},
                  {"build_type", build_info::build_type}};
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  prov["host"] = host;
  const passwd* pw = ::getpwuid(::getuid());
  prov["user"] = pw ? pw->pw_name : std::to_string(::getuid());
  prov["collected"] = utc_time();
  prov["results"] = plan.output;
  prov["runs"] = runs;
  for (const auto& [k, v] : extra.items()) prov[k] = v;
  write_file_atomically(plan.output + "/provenance.json", prov.dump(2) + "\n");
  return sum;
}

}  // namespace weft::launch
