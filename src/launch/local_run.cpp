#include "launch/local_run.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "launch/figures.hpp"
#include "launch/process.hpp"
#include "launch/results.hpp"
#include "launch/shell.hpp"
#include "weft/base/error.hpp"
#include "weft/base/staged_file.hpp"
#include "weft/base/utc_time.hpp"
#include "weft/build_info.hpp"

namespace weft::launch {

namespace fs = std::filesystem;

namespace {

bool as_root() {
  return ::geteuid() == 0;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// FNV-1a, 64 bits: a run's identity, not a security measure.
std::string fingerprint(const std::vector<std::string>& words) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const auto& w : words) {
    for (const char c : w + std::string(1, '\0')) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
  }
  return fmt::format("{:016x}", h);
}

// The command, its environment and weft's build: what makes two runs the same run.
std::string run_key(const std::vector<std::string>& cmd,
                    const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> words = {build_info::version, build_info::git_revision};
  for (const auto& [k, v] : env) words.push_back(k + "=" + v);
  words.insert(words.end(), cmd.begin(), cmd.end());
  return fingerprint(words);
}

// "size:mtime_ns" of an existing file (size 0 for a folder); nullopt when there is none.
std::optional<std::string> file_stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  const long long ns =
      static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return fmt::format("{}:{}", S_ISDIR(st.st_mode) ? 0 : st.st_size, ns);
}

// The existing files and folders a run's words name (a word, FILE of FILE:/dataset, the
// value of --opt=value), with their stamps — except the results folder itself and the
// run's own record, log and state.
json file_stamps(const job_plan& plan, const run_spec& run) {
  json out = json::object();
  const std::set<std::string> own = {plan.output, plan.output + "/runs", run.record,
                                     plan.output + "/runs/" + run.id + ".log",
                                     state_file(plan, run)};
  const auto stamp = [&](const std::string& path) {
    if (path.empty() || path.size() > 4096 || own.count(path) != 0 || out.contains(path)) return;
    if (const auto s = file_stamp(path)) out[path] = *s;
  };
  std::vector<std::string> words = run.args;
  for (const auto& [k, v] : run.env) words.push_back(v);
  for (const auto& w : words) {
    stamp(w);
    if (const auto colon = w.find(':'); colon != std::string::npos) stamp(w.substr(0, colon));
    if (const auto eq = w.find('='); eq != std::string::npos) {
      const std::string value = w.substr(eq + 1);
      stamp(value);
      if (const auto colon = value.find(':'); colon != std::string::npos) {
        stamp(value.substr(0, colon));
      }
    }
  }
  return out;
}

// "" when the files are as the run left them, else the first that changed.
std::string changed_file(const json& before) {
  for (const auto& [path, stamp] : before.items()) {
    const auto now = file_stamp(path);
    if (!now) return path + " is gone";
    if (*now != stamp) return path + " changed";
  }
  return "";
}

// Why a run must run again; "" when its earlier result stands.
std::string rerun_reason(const job_plan& plan, const run_spec& run, const std::string& key,
                         const std::optional<run_state>& state, bool earlier_ran) {
  // A command (a build, a report) works on what came before it.
  if (run.kind == step_kind::command && earlier_ran) return "an earlier step ran";
  if (!state) return "not run yet";
  if (state->status != "ok") return state->status;
  if (state->key != key) return "its command, environment or weft build changed";
  if (auto why = changed_file(state->files); !why.empty()) return why;
  if (!run.record.empty()) {
    std::optional<record> rec;
    try {
      rec = read_record(run.record);
    } catch (const std::exception&) {
      return "its record is missing";
    }
    if (!rec->check.passed) return "its validation failed";
    const auto v =
        verdicts(plan.spec, *rec, plan.spec.steps[run.step].name, run.id, system_id::here());
    if (overall_verdict(v) == "fail") return "a reference failed";
  }
  return "";
}

std::vector<std::string> command_with_env(const job_plan& plan, const run_spec& run) {
  std::vector<std::string> words;
  for (const auto& [k, v] : local_environment(run)) words.push_back(k + "=" + v);
  const auto cmd = local_command(plan, run);
  words.insert(words.end(), cmd.begin(), cmd.end());
  return words;
}

// Which runs this invocation may start: --only and --from name steps.
std::vector<bool> selection(const job_plan& plan, const local_options& options) {
  const auto& steps = plan.spec.steps;
  const auto index_of = [&](const std::string& option, const std::string& name) {
    const auto it = std::find_if(steps.begin(), steps.end(),
                                 [&](const step_spec& s) { return s.name == name; });
    if (it == steps.end()) {
      std::string all;
      for (const auto& s : steps) all += (all.empty() ? "" : ", ") + s.name;
      throw usage_error(fmt::format("{} {}: {} has no step named '{}' (its steps: {})", option,
                                    name, plan.spec.file, name, all));
    }
    return static_cast<std::size_t>(it - steps.begin());
  };
  std::vector<bool> selected(steps.size(), options.only.empty());
  for (const auto& name : options.only) selected[index_of("--only", name)] = true;
  if (!options.from.empty()) {
    const std::size_t first = index_of("--from", options.from);
    for (std::size_t i = 0; i < steps.size(); ++i) {
      selected[i] = i >= first && (options.only.empty() || selected[i]);
    }
  }
  return selected;
}

// Files in runs/ that belong to no run of this plan (an earlier, different spec).
void remove_stale(const job_plan& plan) {
  std::set<std::string> keep;
  for (const auto& run : plan.runs) {
    for (const char* ext : {".json", ".log", ".state.json", ".exit"}) keep.insert(run.id + ext);
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(plan.output + "/runs", ec)) {
    if (e.is_regular_file(ec) && keep.count(e.path().filename().string()) == 0) {
      fs::remove(e.path(), ec);
    }
  }
}

}  // namespace

std::vector<std::string> local_command(const job_plan& plan, const run_spec& run) {
  if (run.kind == step_kind::command) return run.args;
  return mpirun_command(plan, run);
}

std::vector<std::pair<std::string, std::string>> local_environment(const run_spec& run) {
  auto env = openmp_environment(run);
  env.insert(env.end(), run.env.begin(), run.env.end());
  // Command steps too: a command that calls mpirun (a user's script) needs them as well.
  if (as_root()) {
    env.emplace_back("OMPI_ALLOW_RUN_AS_ROOT", "1");
    env.emplace_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
  }
  return env;
}

int run_locally(const job_plan& plan, const local_options& options, std::ostream& out,
                std::ostream& err) {
  const auto& spec = plan.spec;
  const auto selected = selection(plan, options);
  out << fmt::format("weft job: {} ({} run{}), results in {}\n", spec.name, plan.runs.size(),
                     plan.runs.size() == 1 ? "" : "s", plan.output);
  if (as_root()) {
    out << "weft job: running as root, so mpirun gets OMPI_ALLOW_RUN_AS_ROOT=1 and "
           "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1\n";
  }
  if (options.dry_run) {
    for (const auto& run : plan.runs) {
      if (!selected[run.step]) continue;
      if (run.oversubscribed) {
        out << fmt::format(
            "# {}: {} ranks x {} threads on {} cores: oversubscribed (allowed by "
            "binding.oversubscribe), no binding\n",
            run.id, run.ranks, run.threads, plan.cores_per_node);
      }
      out << shell_line(command_with_env(plan, run)) << "\n";
    }
    return 0;
  }

  fs::create_directories(plan.output + "/runs");
  remove_stale(plan);
  const bool mpi_runs = std::any_of(plan.runs.begin(), plan.runs.end(),
                                    [](const run_spec& r) { return r.kind != step_kind::command; });
  std::map<std::string, run_outcome> outcomes;
  int result = 0;
  const std::string started = utc_time();
  std::string mpirun_version;
  if (mpi_runs) {
    process_options o;
    o.capture = true;
    o.time_limit_s = 30;
    const auto v = run_process({"mpirun", "--version"}, o);
    mpirun_version = v.exit_code == 0 ? first_line(v.output) : "mpirun not found";
  }
  const system_id system = system_id::here();
  int ran = 0, reused = 0;
  bool stop = false;
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    run_spec run = plan.runs[i];
    const auto& step = spec.steps[run.step];
    const auto state = read_state(plan, run);
    const bool last_of_step = i + 1 == plan.runs.size() || plan.runs[i + 1].step != run.step;
    if (!selected[run.step]) {
      run_outcome oc{state ? state->status : "not selected",
                     state ? state->exit_code : 0,
                     state ? state->seconds : 0,
                     {}};
      oc.reused = state.has_value();
      outcomes[run.id] = oc;
      continue;
    }
    if (stop) {
      outcomes[run.id] = run_outcome{"skipped", 0, 0, {}};
      continue;
    }
    std::string key = run_key(local_command(plan, run), local_environment(run));
    const std::string why =
        options.force ? "--force" : rerun_reason(plan, run, key, state, ran > 0);
    if (why.empty()) {
      out << fmt::format("\n== [{}/{}] {}: passed on {}; reused (--force runs it again)\n", i + 1,
                         plan.runs.size(), run.id, state->finished);
      run_outcome oc{"ok", state->exit_code, state->seconds, local_command(plan, run)};
      oc.reused = true;
      outcomes[run.id] = oc;
      ++reused;
      continue;
    }
    // A checkpointing step that stopped or ran out of time continues from its checkpoint.
    bool resumed = false;
    if (step.checkpoints && !step.restart_flag.empty() && state && state->key == key &&
        (state->status == "stopped" || state->status == "timed-out")) {
      run.args.push_back("--" + step.restart_flag);
      resumed = true;
    }
    std::string layout =
        run.kind == step_kind::command
            ? std::string("command")
            : fmt::format("{} rank{} x {} thread{}", run.ranks, run.ranks == 1 ? "" : "s",
                          run.threads, run.threads == 1 ? "" : "s");
    out << fmt::format(
        "\n== [{}/{}] {}: {}{}\n", i + 1, plan.runs.size(), run.id, layout,
        resumed ? fmt::format(", resuming from its checkpoint (--{})", step.restart_flag) : "");
    if (run.oversubscribed) {
      const int per_node = run.ranks_per_node();
      out << fmt::format(
          "weft job: {} rank{} x {} thread{} on {} core{}{}: oversubscribing "
          "(--oversubscribe, no binding), as binding.oversubscribe allows\n",
          per_node, per_node == 1 ? "" : "s", run.threads, run.threads == 1 ? "" : "s",
          plan.cores_per_node, plan.cores_per_node == 1 ? "" : "s",
          run.nodes > 1 ? " per node" : "");
    }
    out.flush();
    process_options o;
    o.environment = local_environment(run);
    o.time_limit_s = spec.run_time_limit_s;
    if (step.checkpoints) {
      // At the limit: SIGUSR1 (mpirun passes it to the ranks), time to write the checkpoint.
      o.limit_signal = SIGUSR1;
      o.grace_s = 30;
    }
    o.log = plan.output + "/runs/" + run.id + ".log";
    o.echo = true;
    o.capture = run.kind == step_kind::program;
    const auto cmd = local_command(plan, run);
    if (!run.record.empty()) fs::remove(run.record);
    const auto r = run_process(cmd, o);
    ++ran;
    run_outcome oc;
    oc.exit_code = r.exit_code;
    oc.seconds = r.seconds;
    oc.command = cmd;
    // A checkpointing step asked to stop at its limit may still finish its last steps
    // within the grace period: it exits 0, or mpirun, exiting after its ranks, dies of the
    // forwarded SIGUSR1 (exit 138). A validated record of this run (removed before it
    // started) means it is done, not timed out.
    const bool finished_in_grace = [&] {
      if (!step.checkpoints || !r.timed_out) return false;
      if (r.exit_code == 0) return true;
      if (run.kind != step_kind::kernel || !fs::exists(run.record)) return false;
      try {
        return read_record(run.record).check.passed;
      } catch (const std::exception&) {
        return false;
      }
    }();
    if (r.interrupted) {
      oc.status = "interrupted";
    } else if (finished_in_grace) {
      oc.status = "ok";
    } else if (r.timed_out) {
      oc.status = "timed-out";
    } else if (r.exit_code == 75) {
      oc.status = "stopped";
    } else {
      oc.status = r.exit_code == 0 ? "ok" : "failed";
    }
    if (run.kind == step_kind::program && !r.interrupted) {
      const record rec = program_record(plan, run, r.output, r.exit_code, r.seconds);
      write_file_atomically(run.record, rec.to_json().dump(2) + "\n");
      if (!rec.check.passed && oc.status == "ok") {
        oc.status = "failed";
        err << fmt::format("weft job: {}: {}\n", run.id, rec.check.detail);
      }
    }
    if (run.kind == step_kind::kernel && r.exit_code == 0 && !fs::exists(run.record)) {
      oc.status = "failed";
      err << fmt::format("weft job: {}: no record was written to {}\n", run.id, run.record);
    }
    outcomes[run.id] = oc;
    // Annotated at once, so that a later step (a report) sees which step and point it was.
    if (const auto rec = annotate_record(plan, run)) {
      for (const auto& line : verdict_failures(rec->job["verdicts"])) {
        err << fmt::format("weft job: {}: {}\n", run.id, line);
      }
      append_history(plan, run, *rec, rec->job["verdicts"], system, started);
    }
    run_state st;
    st.status = oc.status;
    st.exit_code = oc.exit_code;
    st.seconds = oc.seconds;
    st.finished = utc_time();
    st.key = key;
    st.files = file_stamps(plan, run);
    write_state(plan, run, st);
    if (oc.status != "ok") {
      err << fmt::format("weft job: {} {} (exit code {}{}) after {:.1f} s; log: {}\n", run.id,
                         oc.status, r.exit_code,
                         r.timed_out ? fmt::format(", limit {} s", spec.run_time_limit_s) : "",
                         r.seconds, o.log);
      if (result == 0) result = r.exit_code == 75 ? 75 : 1;
      if (r.exit_code == 75 && step.checkpoints && !step.restart_flag.empty()) {
        err << fmt::format(
            "weft job: {}: checkpoint written; run the same command again to continue it "
            "(with --{})\n",
            run.id, step.restart_flag);
      }
      if (r.interrupted) {
        result = 130;
        stop = true;
      }
    }
    // A failed step stops the job once its other runs (sweep points, repeats) are done.
    if (last_of_step && result != 0) stop = true;
  }
  json extra;
  extra["launcher"] = "mpirun";
  extra["mpirun_version"] = mpirun_version;
  extra["started"] = started;
  extra["finished"] = utc_time();
  extra["cores_per_node"] = plan.cores_per_node;
  extra["as_root"] = as_root();
  extra["history"] = history_file(plan, system);
  const auto sum = collect_results(plan, outcomes, extra);
  out << fmt::format("\nweft job: {}: {} run{} ({} run now, {} reused), {} record{} ({} passed)",
                     spec.name, sum.runs, sum.runs == 1 ? "" : "s", ran, reused, sum.records,
                     sum.records == 1 ? "" : "s", sum.passed);
  if (!spec.references.empty()) {
    out << fmt::format(", {} with a failed reference", sum.references_failed);
  }
  out << fmt::format("; {}/summary.csv\n", plan.output);
  if (sum.references_failed > 0 && result == 0) result = 1;
  return result;
}

int local_status(const job_plan& plan, std::ostream& out) {
  int done = 0;
  std::size_t width = 3;
  for (const auto& run : plan.runs) width = std::max(width, run.id.size());
  out << fmt::format("{:<{}}  {:<10}  {:>6}  {:>9}  {}\n", "run", width, "state", "exit", "wall_s",
                     "finished");
  for (const auto& run : plan.runs) {
    const auto state = read_state(plan, run);
    std::string shown = "pending";
    if (state) shown = state->status == "ok" ? "done" : state->status;
    if (shown == "done") ++done;
    out << fmt::format("{:<{}}  {:<10}  {:>6}  {:>9}  {}\n", run.id, width, shown,
                       state ? std::to_string(state->exit_code) : "",
                       state ? fmt::format("{:.1f}", state->seconds) : "",
                       state ? state->finished : "");
  }
  out << fmt::format("{} of {} run{} done; results in {}\n", done, plan.runs.size(),
                     plan.runs.size() == 1 ? "" : "s", plan.output);
  return done == static_cast<int>(plan.runs.size()) ? 0 : 1;
}

}  // namespace weft::launch
