// `weft job run|submit|status|collect SPEC`: the launch layer's commands. They run
// outside mpirun and never initialise MPI (main dispatches here before the environment).
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "kernel.hpp"
#include "launch/compare.hpp"
#include "launch/local_run.hpp"
#include "launch/plan.hpp"
#include "launch/slurm.hpp"
#include "launch/spec.hpp"
#include "weft/base/error.hpp"
#include "weft/base/staged_file.hpp"

namespace weft::cli {

namespace {

// What the registry says about the kernels, for checking specs before anything runs.
launch::kernel_catalogue catalogue() {
  launch::kernel_catalogue out;
  for (const auto& k : kernels::registry()) {
    launch::kernel_info info{k.name, k.params};
    // As `weft run` builds its options: a value without a default must be given.
    for (auto& p : info.params) p.required = p.type != param_type::flag && p.default_value.empty();
    out.push_back(std::move(info));
  }
  return out;
}

std::string self_path(const char* argv0) {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) return p.string();
  return std::filesystem::absolute(argv0).string();
}

struct job_options {
  std::string spec;
  std::string results;
  bool dry_run = false;
  bool wait = false;
  int timeout_s = 3600;
  std::string hostfile;
  launch::local_options local;
  std::string old_dir, new_dir, csv, html;
  launch::compare_options compare;
};

// An output file of `weft job compare`: its folder must exist ("-" is stdout for CSV).
void write_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    return;
  }
  const auto parent = std::filesystem::absolute(path).parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(parent, ec)) {
    throw usage_error(
        fmt::format("{}: the folder {} does not exist; create it or write "
                    "elsewhere",
                    path, parent.string()));
  }
  write_file_atomically(path, text);
}

int compare_main(const job_options& opts) {
  try {
    const auto rows = launch::compare_results(opts.old_dir, opts.new_dir, opts.compare);
    if (opts.csv != "-") std::cout << launch::compare_text(rows, opts.old_dir, opts.new_dir);
    if (!opts.csv.empty()) write_output(opts.csv, launch::compare_csv(rows));
    if (!opts.html.empty()) {
      write_output(opts.html, launch::compare_html(rows, opts.old_dir, opts.new_dir));
    }
    const bool worse = std::any_of(rows.begin(), rows.end(), [](const launch::compare_row& r) {
      return r.verdict == "worse";
    });
    return worse ? 1 : 0;
  } catch (const error& e) {
    std::cerr << "weft: job compare: " << e.what() << "\n";
    return to_int(e.code());
  }
}

}  // namespace

int job_main(int argc, char** argv) {
  CLI::App app{
      "weft job: run a job spec locally with mpirun, or submit it to Slurm; compare two "
      "results",
      "weft job"};
  app.require_subcommand(1);
  job_options opts;
  const auto add_spec = [&](CLI::App* sub) {
    sub->add_option("SPEC", opts.spec, "job spec (TOML), e.g. jobs/demo.toml")->required();
    sub->add_option("--results", opts.results, "results folder (default: the spec's paths.output)");
  };
  auto* run = app.add_subcommand("run", "run every step here, each run under mpirun");
  add_spec(run);
  run->add_flag("--dry-run", opts.dry_run, "print the commands, run nothing");
  run->add_option("--hostfile", opts.hostfile,
                  "mpirun hostfile for specs on several nodes (overrides resources.hostfile)")
      ->check(CLI::ExistingFile);
  run->add_flag("--force", opts.local.force,
                "run everything again (default: runs that passed with the same command, "
                "build and files are reused)");
  run->add_option("--only", opts.local.only, "run only these steps (by name; repeatable)")
      ->delimiter(',');
  run->add_option("--from", opts.local.from, "run this step and the ones after it");
  auto* submit = app.add_subcommand("submit", "submit the job to Slurm (sbatch)");
  add_spec(submit);
  submit->add_flag("--dry-run", opts.dry_run, "print the batch scripts, submit nothing");
  auto* status = app.add_subcommand(
      "status", "state of each run: of the Slurm jobs when submitted, else of local runs");
  add_spec(status);
  status->add_flag("--wait", opts.wait, "wait until no job is pending or running");
  status->add_option("--timeout", opts.timeout_s, "with --wait: give up after S seconds")
      ->check(CLI::Range(1, 7 * 86400))
      ->capture_default_str();
  auto* collect = app.add_subcommand("collect", "gather a Slurm job's records into the results");
  add_spec(collect);
  auto* compare = app.add_subcommand(
      "compare", "compare two results folders run by run and metric (exit 1 when any got worse)");
  compare->add_option("OLD", opts.old_dir, "results folder of the earlier run")->required();
  compare->add_option("NEW", opts.new_dir, "results folder of the later run")->required();
  compare->add_option("--csv", opts.csv, "also write the comparison as CSV ('-': stdout only)");
  compare->add_option("--html", opts.html, "also write it as one HTML page");
  compare
      ->add_option("--noise", opts.compare.noise_percent,
                   "changes within this many % are the same, even without repeats")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();

  // argv[0] is "weft", argv[1] "job": parse the rest under the name "weft job".
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "weft: job: " << e.what() << " (see 'weft job --help')\n";
    return 2;
  }

  if (compare->parsed()) return compare_main(opts);
  try {
    const auto spec = launch::load_spec(opts.spec, catalogue());
    launch::plan_options po;
    po.weft = self_path(argv[0]);
    po.local = run->parsed();
    po.cores_per_node = po.local ? launch::local_cores() : 0;
    po.sockets_per_node = po.local ? launch::local_sockets() : 1;
    po.output = opts.results;
    po.hostfile = opts.hostfile;
    const auto plan = launch::make_plan(spec, po);
    if (run->parsed()) {
      opts.local.dry_run = opts.dry_run;
      return launch::run_locally(plan, opts.local, std::cout, std::cerr);
    }
    if (submit->parsed()) return launch::submit_to_slurm(plan, opts.dry_run, std::cout, std::cerr);
    if (status->parsed()) {
      // Submitted to Slurm: the batch jobs' states; otherwise the local runs'.
      if (std::filesystem::exists(plan.output + "/slurm/jobs.json")) {
        return launch::slurm_status(plan, opts.wait, opts.timeout_s, std::cout, std::cerr);
      }
      return launch::local_status(plan, std::cout);
    }
    return launch::collect_slurm(plan, std::cout, std::cerr);
  } catch (const launch::spec_error& e) {
    std::cerr << "weft: " << e.what() << "\n";
    return 2;
  } catch (const error& e) {
    std::cerr << "weft: job: " << e.what() << "\n";
    return to_int(e.code());
  } catch (const std::exception& e) {
    std::cerr << "weft: job: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace weft::cli
