#include "launch/slurm.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "launch/figures.hpp"
#include "launch/process.hpp"
#include "launch/results.hpp"
#include "launch/shell.hpp"
#include "weft/base/staged_file.hpp"
#include "weft/base/utc_time.hpp"

namespace weft::launch {

namespace fs = std::filesystem;

namespace {

std::string sanitized(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

std::string quoted_line(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += shell_quote(w);
  }
  return out;
}

void check_sbatch_value(const job_plan& plan, const std::string& value, int line,
                        const std::string& key) {
  if (!is_sbatch_value(value)) {
    throw spec_error(plan.spec.file, line, key,
                     fmt::format("'{}' cannot go on an #SBATCH line (no whitespace, quotes, "
                                 "backslashes or control characters)",
                                 sanitized(value)));
  }
}

const char* launch_function = R"(weft_rc=0
# Runs "$@" in the background so that a signal reaches this script at once, and passes
# USR1 (Slurm's warning before the time limit) and TERM on to it.
weft_launch() {
  "$@" &
  local child=$!
  trap 'kill -USR1 "$child" 2>/dev/null' USR1
  trap 'kill -TERM "$child" 2>/dev/null' TERM
  local rc=0
  while :; do
    wait "$child"
    rc=$?
    kill -0 "$child" 2>/dev/null || break
  done
  trap - USR1 TERM
  return "$rc"
}
)";

// `nodes`: the most nodes any run of the step spans (an array sweeping nodes gets the
// largest allocation for every task; each launch line says how many nodes it uses).
std::string header(const job_plan& plan, const std::string& step, int nodes, int ntasks, int cpus,
                   int tasks, bool signal) {
  const auto& spec = plan.spec;
  const auto& res = spec.resources;
  std::string s = "#!/bin/bash\n";
  s += fmt::format("# weft job {}, step {}: written by `weft job submit` from {}.\n", spec.name,
                   step, sanitized(fs::absolute(spec.file).lexically_normal().string()));
  s += "# Change the spec and submit again rather than editing this file.\n";
  s += fmt::format("#SBATCH --job-name={}-{}\n", spec.name, step);
  const bool collect = step == "collect";
  s += fmt::format("#SBATCH --nodes={}\n", collect ? 1 : nodes);
  s += fmt::format("#SBATCH --ntasks={}\n", ntasks);
  // A step of one task (a command, a 1-rank run) asks for no per-node count it cannot fill.
  if (res.ranks_per_node && !collect && ntasks > 1) {
    s += fmt::format("#SBATCH --ntasks-per-node={}\n", *res.ranks_per_node);
  }
  s += fmt::format("#SBATCH --cpus-per-task={}\n", cpus);
  std::string time = res.time;
  if (collect) {
    time = "00:10:00";
  } else if (time.empty() && spec.run_time_limit_s > 0) {
    // Every run of one batch job (an array task runs one point) back to back, plus a minute.
    int runs = 0;
    for (const auto& r : plan.runs) {
      if (spec.steps[r.step].name == step && r.point == 0) ++runs;
    }
    time = slurm_time(spec.run_time_limit_s * std::max(1, runs) + 60);
  }
  if (!time.empty()) s += fmt::format("#SBATCH --time={}\n", time);
  if (!res.partition.empty()) s += fmt::format("#SBATCH --partition={}\n", res.partition);
  if (!res.account.empty()) s += fmt::format("#SBATCH --account={}\n", res.account);
  if (!res.memory.empty() && !collect) s += fmt::format("#SBATCH --mem={}\n", res.memory);
  if (res.exclusive && !collect) s += "#SBATCH --exclusive\n";
  if (tasks > 1) s += fmt::format("#SBATCH --array=0-{}\n", tasks - 1);
  const std::string log = plan.output + "/slurm/%x-" + (tasks > 1 ? "%A_%a" : "%j");
  s += fmt::format("#SBATCH --output={}.out\n", log);
  s += fmt::format("#SBATCH --error={}.err\n", log);
  if (signal) s += fmt::format("#SBATCH --signal=B:USR1@{}\n", spec.slurm.signal_lead_s);
  if (signal && spec.slurm.requeue) s += "#SBATCH --requeue\n";
  s += "set -u\n";
  return s;
}

std::vector<std::string> launcher_words(const job_plan& plan, const run_spec& run, int cpus) {
  if (run.kind == step_kind::command) return {};
  std::vector<std::string> words;
  if (!run.env.empty()) {
    words.emplace_back("env");
    for (const auto& [k, v] : run.env) words.push_back(k + "=" + v);
  }
  if (plan.spec.slurm.launcher == "mpirun") {
    auto cmd = mpirun_command(plan, run);
    cmd.resize(cmd.size() - run.args.size());
    words.insert(words.end(), cmd.begin(), cmd.end());
    return words;
  }
  const auto& extra = plan.spec.steps[run.step].launcher_args;
  words.insert(words.end(), {"srun", "--mpi=pmix", "--cpu-bind=cores"});
  words.insert(words.end(), extra.begin(), extra.end());
  words.insert(words.end(),
               {"-N", std::to_string(run.nodes), "-c",
                run.threads == cpus ? "$SLURM_CPUS_PER_TASK" : std::to_string(run.threads), "-n",
                std::to_string(run.ranks)});
  return words;
}

std::string run_line(const job_plan& plan, const run_spec& run, int cpus, bool restart) {
  std::string line = "weft_launch";
  for (const auto& w : launcher_words(plan, run, cpus)) {
    line += ' ';
    // Only the cpus variable needs expanding; env values and launcher_args are quoted.
    line += w == "$SLURM_CPUS_PER_TASK" ? "\"$SLURM_CPUS_PER_TASK\"" : shell_word(w);
  }
  line += ' ' + quoted_line(run.args);
  if (restart) line += " \"${weft_restart[@]}\"";
  if (run.kind != step_kind::program) return line + " || weft_rc=$?\n";
  // A program's figures are read from its output when the job is collected.
  const std::string base = plan.output + "/runs/" + run.id;
  const std::string log = shell_quote(base + ".log");
  return line + " >" + log + " 2>&1; weft_x=$?; echo \"$weft_x\" >" + shell_quote(base + ".exit") +
         "; cat " + log + "; [ \"$weft_x\" -eq 0 ] || weft_rc=$weft_x\n";
}

}  // namespace

std::vector<batch_script> batch_scripts(const job_plan& plan) {
  const auto& spec = plan.spec;
  check_sbatch_value(plan, plan.output, spec.paths_line, "paths.output");
  std::vector<batch_script> scripts;
  const bool root_vars = spec.slurm.launcher == "mpirun";
  for (std::size_t si = 0; si < spec.steps.size(); ++si) {
    const auto& step = spec.steps[si];
    std::vector<const run_spec*> runs;
    for (const auto& r : plan.runs) {
      if (r.step == si) runs.push_back(&r);
    }
    const int points = runs.empty() ? 1 : runs.front()->points;
    int ntasks = 1;
    int cpus = 1;
    int nodes = 1;
    for (const auto* r : runs) {
      nodes = std::max(nodes, r->nodes);
      ntasks = std::max(ntasks, r->ranks);
      cpus = std::max(cpus, r->threads);
    }
    const bool checkpoints = step.checkpoints;
    const bool restart = checkpoints && !step.restart_flag.empty();
    std::string s = header(plan, step.name, nodes, ntasks, cpus, points, checkpoints);
    s += "export OMP_PLACES=cores OMP_PROC_BIND=close\n";
    if (root_vars && step.kind != step_kind::command) {
      s += "if [ \"$(id -u)\" -eq 0 ]; then\n"
           "  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1\n"
           "  echo \"weft job: running as root, so mpirun gets OMPI_ALLOW_RUN_AS_ROOT=1 and "
           "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1\" >&2\n"
           "fi\n";
    }
    s += "mkdir -p " + shell_quote(plan.output + "/runs") + "\n";
    s += launch_function;
    if (restart) {
      s += "weft_restart=()\n";
      s += fmt::format("if [ \"${{SLURM_RESTART_COUNT:-0}}\" -gt 0 ]; then weft_restart=({}); fi\n",
                       shell_quote("--" + step.restart_flag));
    }
    if (points > 1) {
      s += "case \"${SLURM_ARRAY_TASK_ID:-0}\" in\n";
      for (int p = 0; p < points; ++p) {
        s += fmt::format("  {})\n", p);
        bool first = true;
        for (const auto* r : runs) {
          if (r->point != p) continue;
          if (first) s += fmt::format("    export OMP_NUM_THREADS={}\n", r->threads);
          first = false;
          s += "    " + run_line(plan, *r, cpus, restart);
        }
        s += "    ;;\n";
      }
      s += "  *) echo \"weft job: no sweep point ${SLURM_ARRAY_TASK_ID}\" >&2; exit 2 ;;\n";
      s += "esac\n";
    } else {
      int threads = 0;
      for (const auto* r : runs) {
        if (r->threads != threads) s += fmt::format("export OMP_NUM_THREADS={}\n", r->threads);
        threads = r->threads;
        s += run_line(plan, *r, cpus, restart);
      }
    }
    if (checkpoints && spec.slurm.requeue) {
      s += "if [ \"$weft_rc\" -eq 75 ]; then\n"
           "  echo \"weft job: stopped at a checkpoint; requeueing to resume\" >&2\n"
           "  scontrol requeue \"${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}${SLURM_ARRAY_TASK_ID:+_"
           "$SLURM_ARRAY_TASK_ID}\"\n"
           "fi\n";
    }
    s += "exit \"$weft_rc\"\n";
    scripts.push_back(
        {step.name, plan.output + "/slurm/" + spec.name + "-" + step.name + ".sbatch", s, points});
  }
  if (spec.slurm.collect) {
    std::string s = header(plan, "collect", 1, 1, 1, 1, false);
    s += quoted_line({plan.weft, "job", "collect",
                      fs::absolute(spec.file).lexically_normal().string(), "--results",
                      plan.output}) +
         "\n";
    scripts.push_back({"collect", plan.output + "/slurm/" + spec.name + "-collect.sbatch", s, 1});
  }
  return scripts;
}

std::vector<std::string> sbatch_command(const batch_script& script, const std::string& after) {
  std::vector<std::string> cmd = {"sbatch", "--parsable"};
  if (!after.empty()) {
    cmd.push_back("--dependency=afterok:" + after);
    cmd.push_back("--kill-on-invalid-dep=yes");
  }
  cmd.push_back(script.path);
  return cmd;
}

int submit_to_slurm(const job_plan& plan, bool dry_run, std::ostream& out, std::ostream& err) {
  const auto scripts = batch_scripts(plan);
  if (dry_run) {
    for (std::size_t i = 0; i < scripts.size(); ++i) {
      out << fmt::format("# ---- {} ({})\n", scripts[i].path,
                         scripts[i].tasks > 1
                             ? fmt::format("job array of {} sweep points", scripts[i].tasks)
                             : std::string("one job"));
      out << scripts[i].text;
      out << "# submit: "
          << shell_line(sbatch_command(scripts[i], i == 0 ? "" : fmt::format("<job {}>", i)))
          << "\n";
    }
    return 0;
  }
  fs::create_directories(plan.output + "/slurm");
  fs::create_directories(plan.output + "/runs");
  for (const auto& s : scripts) write_file_atomically(s.path, s.text);
  json jobs = json::array();
  std::string previous;
  int rc = 0;
  for (const auto& s : scripts) {
    process_options o;
    o.capture = true;
    o.time_limit_s = 60;
    const auto cmd = sbatch_command(s, previous);
    const auto r = run_process(cmd, o);
    // --parsable prints "id[;cluster]" on its last line; warnings may come before it.
    std::string last = r.output;
    while (!last.empty() && last.back() == '\n') last.pop_back();
    last =
        last.substr(last.find_last_of('\n') == std::string::npos ? 0 : last.find_last_of('\n') + 1);
    std::string id = last.substr(0, last.find(';'));
    const bool ok = r.exit_code == 0 && !id.empty() &&
                    std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!ok) {
      err << fmt::format("weft job: sbatch failed for {} (exit code {}): {}\n", s.path, r.exit_code,
                         sanitized(r.output));
      rc = 1;
      break;
    }
    out << fmt::format("weft job: submitted {} as job {}{}\n", s.step, id,
                       s.tasks > 1 ? fmt::format(" (array of {})", s.tasks) : "");
    jobs.push_back({{"step", s.step}, {"id", id}, {"script", s.path}, {"tasks", s.tasks}});
    previous = id;
  }
  json record;
  record["job"] = plan.spec.name;
  record["spec"] = fs::absolute(plan.spec.file).lexically_normal().string();
  record["jobs"] = jobs;
  record["submitted"] = utc_time();
  write_file_atomically(plan.output + "/slurm/jobs.json", record.dump(2) + "\n");
  if (rc == 0) {
    std::string ids;
    for (const auto& j : jobs) ids += (ids.empty() ? "" : " ") + j["id"].get<std::string>();
    out << ids << "\n";
  }
  return rc;
}

namespace {

json read_jobs(const job_plan& plan) {
  const std::string path = plan.output + "/slurm/jobs.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": no submitted jobs (run 'weft job submit' first)");
  return json::parse(in);
}

bool terminal(const std::string& state) {
  static const std::set<std::string> active = {
      "PENDING",     "RUNNING",  "CONFIGURING", "COMPLETING", "REQUEUED",  "REQUEUE_HOLD",
      "REQUEUE_FED", "RESIZING", "SUSPENDED",   "STOPPED",    "SIGNALING", "STAGE_OUT"};
  return active.count(state) == 0;
}

// job id (with _task for arrays) -> state, from squeue (and sacct when it answers).
std::map<std::string, std::string> job_states(const std::vector<std::string>& ids) {
  std::map<std::string, std::string> states;
  std::string list;
  for (const auto& id : ids) list += (list.empty() ? "" : ",") + id;
  process_options o;
  o.capture = true;
  o.time_limit_s = 30;
  const auto sacct = run_process({"sacct", "--noheader", "--parsable2", "--allocations",
                                  "--format=JobID,State", "--jobs=" + list},
                                 o);
  if (sacct.exit_code == 0) {
    std::istringstream in(sacct.output);
    for (std::string line; std::getline(in, line);) {
      const auto bar = line.find('|');
      if (bar == std::string::npos) continue;
      std::string state = line.substr(bar + 1);
      state = state.substr(0, state.find(' '));
      states[line.substr(0, bar)] = state;
    }
  }
  const auto squeue = run_process(
      {"squeue", "--noheader", "--array", "--states=all", "--format=%i|%T", "--jobs=" + list}, o);
  if (squeue.exit_code == 0) {
    std::istringstream in(squeue.output);
    for (std::string line; std::getline(in, line);) {
      const auto bar = line.find('|');
      if (bar == std::string::npos) continue;
      states[line.substr(0, bar)] = line.substr(bar + 1);
    }
  }
  return states;
}

}  // namespace

int slurm_status(const job_plan& plan, bool wait, int timeout_s, std::ostream& out,
                 std::ostream& err) {
  const json jobs = read_jobs(plan);
  std::vector<std::string> ids;
  for (const auto& j : jobs["jobs"]) ids.push_back(j["id"].get<std::string>());
  if (ids.empty()) {
    err << "weft job: no job was submitted\n";
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  std::map<std::string, std::string> states;
  while (true) {
    states = job_states(ids);
    const bool active = std::any_of(states.begin(), states.end(),
                                    [](const auto& kv) { return !terminal(kv.second); });
    if (!wait || !active) break;
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(timeout_s)) {
      err << fmt::format("weft job: still running after {} s\n", timeout_s);
      for (const auto& [id, state] : states) err << fmt::format("  {} {}\n", id, state);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  int rc = 0;
  for (const auto& j : jobs["jobs"]) {
    const std::string id = j["id"].get<std::string>();
    std::vector<std::pair<std::string, std::string>> mine;
    for (const auto& [k, v] : states) {
      if (k == id || k.rfind(id + "_", 0) == 0) mine.emplace_back(k, v);
    }
    if (mine.empty()) mine.emplace_back(id, "GONE (finished; Slurm no longer lists it)");
    for (const auto& [k, v] : mine) {
      out << fmt::format("{:<10} {:<16} {}\n", j["step"].get<std::string>(), k, v);
      if (terminal(v) && v.rfind("COMPLETED", 0) != 0 && v.rfind("GONE", 0) != 0) rc = 1;
    }
  }
  return rc;
}

int collect_slurm(const job_plan& plan, std::ostream& out, std::ostream& err) {
  json extra;
  extra["launcher"] = "slurm";
  try {
    extra["slurm_jobs"] = read_jobs(plan)["jobs"];
  } catch (const std::exception&) {
    extra["slurm_jobs"] = json::array();
  }
  if (const char* id = std::getenv("SLURM_JOB_ID")) extra["collected_by_job"] = id;
  const system_id system = system_id::here();
  extra["history"] = history_file(plan, system);
  const auto sum = collect_results(plan, {}, extra);
  // Each record once in the history: a collect that runs again adds nothing new.
  std::set<std::string> known;
  {
    std::ifstream in(history_file(plan, system));
    for (std::string line; std::getline(in, line);) {
      const json h = json::parse(line, nullptr, false);
      if (h.is_object()) {
        known.insert(h.value("results", "") + "|" + h.value("run", "") + "|" + h.value("time", ""));
      }
    }
  }
  std::string submitted = utc_time();
  try {
    submitted = read_jobs(plan).value("submitted", submitted);
  } catch (const std::exception&) {
    // no jobs.json: collected by hand
  }
  for (const auto& run : plan.runs) {
    if (run.record.empty()) continue;
    try {
      const record r = read_record(run.record);
      const std::string key = plan.output + "|" + run.id + "|" + r.provenance.value("date", "");
      if (known.count(key) == 0) {
        append_history(plan, run, r, r.job.value("verdicts", json::array()), system, submitted);
      }
    } catch (const std::exception&) {
      continue;  // a missing record is reported below
    }
  }
  for (const auto& line : sum.failed_messages) err << "weft job: " << line << "\n";
  out << fmt::format("weft job: {}: {} record{} of {} kernel run{} ({} passed); {}/summary.csv\n",
                     plan.spec.name, sum.records, sum.records == 1 ? "" : "s",
                     sum.records + sum.missing, sum.records + sum.missing == 1 ? "" : "s",
                     sum.passed, plan.output);
  if (sum.missing > 0 || sum.passed < sum.records || sum.references_failed > 0) {
    err << fmt::format(
        "weft job: {} record{} missing, {} failed validation, {} failed a "
        "reference\n",
        sum.missing, sum.missing == 1 ? "" : "s", sum.records - sum.passed, sum.references_failed);
    return 1;
  }
  return 0;
}

}  // namespace weft::launch
