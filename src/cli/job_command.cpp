// `weft job run|submit|status|collect SPEC`: the launch layer's commands. They run
// outside mpirun and never initialise MPI (main dispatches here before the environment).
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>

#include "kernel.hpp"
#include "launch/local_run.hpp"
#include "launch/plan.hpp"
#include "launch/slurm.hpp"
#include "launch/spec.hpp"

namespace weft::cli {

namespace {

// What the registry says about the kernels, for checking specs before anything runs.
launch::kernel_catalogue catalogue() {
  launch::kernel_catalogue out;
  for (const auto& k : kernels::registry()) out.push_back({k.name, k.params});
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
};

}  // namespace

int job_main(int argc, char** argv) {
  CLI::App app{"weft job: run a job spec locally with mpirun, or submit it to Slurm", "weft job"};
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
  auto* submit = app.add_subcommand("submit", "submit the job to Slurm (sbatch)");
  add_spec(submit);
  submit->add_flag("--dry-run", opts.dry_run, "print the batch scripts, submit nothing");
  auto* status = app.add_subcommand("status", "state of the submitted Slurm jobs");
  add_spec(status);
  status->add_flag("--wait", opts.wait, "wait until no job is pending or running");
  status->add_option("--timeout", opts.timeout_s, "with --wait: give up after S seconds")
      ->check(CLI::Range(1, 7 * 86400))
      ->capture_default_str();
  auto* collect = app.add_subcommand("collect", "gather a Slurm job's records into the results");
  add_spec(collect);

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
    if (run->parsed()) return launch::run_locally(plan, opts.dry_run, std::cout, std::cerr);
    if (submit->parsed()) return launch::submit_to_slurm(plan, opts.dry_run, std::cout, std::cerr);
    if (status->parsed()) {
      return launch::slurm_status(plan, opts.wait, opts.timeout_s, std::cout, std::cerr);
    }
    return launch::collect_slurm(plan, std::cout, std::cerr);
  } catch (const launch::spec_error& e) {
    std::cerr << "weft: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "weft: job: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace weft::cli
