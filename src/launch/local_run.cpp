#include "launch/local_run.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>

#include "launch/process.hpp"
#include "launch/results.hpp"
#include "launch/shell.hpp"
#include "weft/base/utc_time.hpp"

namespace weft::launch {

namespace fs = std::filesystem;

namespace {

bool as_root() {
  return ::geteuid() == 0;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

std::vector<std::string> local_command(const job_plan& plan, const run_spec& run) {
  if (run.kind == step_kind::command) return run.args;
  return mpirun_command(plan, run);
}

std::vector<std::pair<std::string, std::string>> local_environment(const run_spec& run) {
  auto env = openmp_environment(run);
  if (run.kind != step_kind::command && as_root()) {
    env.emplace_back("OMPI_ALLOW_RUN_AS_ROOT", "1");
    env.emplace_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
  }
  return env;
}

int run_locally(const job_plan& plan, bool dry_run, std::ostream& out, std::ostream& err) {
  const auto& spec = plan.spec;
  out << fmt::format("weft job: {} ({} run{}), results in {}\n", spec.name, plan.runs.size(),
                     plan.runs.size() == 1 ? "" : "s", plan.output);
  const bool mpi_runs = std::any_of(plan.runs.begin(), plan.runs.end(),
                                    [](const run_spec& r) { return r.kind != step_kind::command; });
  if (mpi_runs && as_root()) {
    out << "weft job: running as root, so mpirun gets OMPI_ALLOW_RUN_AS_ROOT=1 and "
           "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1\n";
  }
  if (dry_run) {
    for (const auto& run : plan.runs) {
      if (run.oversubscribed) {
        out << fmt::format(
            "# {}: {} ranks x {} threads on {} cores: oversubscribed (allowed by "
            "binding.oversubscribe), no binding\n",
            run.id, run.ranks, run.threads, plan.cores_per_node);
      }
      std::vector<std::string> words;
      for (const auto& [k, v] : local_environment(run)) words.push_back(k + "=" + v);
      const auto cmd = local_command(plan, run);
      words.insert(words.end(), cmd.begin(), cmd.end());
      out << shell_line(words) << "\n";
    }
    return 0;
  }

  // runs/ holds this job's records and logs only: stale ones from an earlier run of a
  // different spec would mix into the summary and the report.
  fs::remove_all(plan.output + "/runs");
  fs::create_directories(plan.output + "/runs");
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
  bool stop = false;
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const auto& run = plan.runs[i];
    if (stop) {
      outcomes[run.id] = run_outcome{"skipped", 0, 0, {}};
      continue;
    }
    const auto& step = spec.steps[run.step];
    std::string layout =
        run.kind == step_kind::command
            ? std::string("command")
            : fmt::format("{} rank{} x {} thread{}", run.ranks, run.ranks == 1 ? "" : "s",
                          run.threads, run.threads == 1 ? "" : "s");
    out << fmt::format("\n== [{}/{}] {}: {}\n", i + 1, plan.runs.size(), run.id, layout);
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
    o.log = plan.output + "/runs/" + run.id + ".log";
    o.echo = true;
    const auto cmd = local_command(plan, run);
    if (!run.record.empty()) fs::remove(run.record);
    const auto r = run_process(cmd, o);
    run_outcome oc;
    oc.exit_code = r.exit_code;
    oc.seconds = r.seconds;
    oc.command = cmd;
    if (r.interrupted) {
      oc.status = "interrupted";
    } else if (r.timed_out) {
      oc.status = "timed-out";
    } else if (r.exit_code == 75) {
      oc.status = "stopped";
    } else {
      oc.status = r.exit_code == 0 ? "ok" : "failed";
    }
    if (!run.record.empty() && r.exit_code == 0 && !fs::exists(run.record)) {
      oc.status = "failed";
      err << fmt::format("weft job: {}: no record was written to {}\n", run.id, run.record);
    }
    outcomes[run.id] = oc;
    // Annotated at once, so that a later step (a report) sees which step and point it was.
    annotate_record(plan, run);
    if (oc.status != "ok") {
      err << fmt::format("weft job: {} {} (exit code {}{}) after {:.1f} s; log: {}\n", run.id,
                         oc.status, r.exit_code,
                         r.timed_out ? fmt::format(", limit {} s", spec.run_time_limit_s) : "",
                         r.seconds, o.log);
      if (result == 0) result = r.exit_code == 75 ? 75 : 1;
      if (r.interrupted) {
        result = 130;
        stop = true;
      }
    }
    // A failed step stops the job once its other runs (sweep points, repeats) are done.
    const bool last_of_step = i + 1 == plan.runs.size() || plan.runs[i + 1].step != run.step;
    if (last_of_step && result != 0) stop = true;
    (void)step;
  }
  json extra;
  extra["launcher"] = "mpirun";
  extra["mpirun_version"] = mpirun_version;
  extra["started"] = started;
  extra["finished"] = utc_time();
  extra["cores_per_node"] = plan.cores_per_node;
  extra["as_root"] = as_root();
  const auto sum = collect_results(plan, outcomes, extra);
  out << fmt::format("\nweft job: {}: {} run{}, {} record{} ({} passed); {}/summary.csv\n",
                     spec.name, sum.runs, sum.runs == 1 ? "" : "s", sum.records,
                     sum.records == 1 ? "" : "s", sum.passed, plan.output);
  return result;
}

}  // namespace weft::launch
