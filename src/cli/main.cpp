// The `weft` command. Subcommands that run in parallel (run, info, kernels, data)
// initialise MPI and work under mpirun/srun or as a single process; the launch layer
// (job) and report run outside MPI and never initialise it.
#include <omp.h>
#include <CLI/CLI.hpp>

#include <exception>
#include <string>

#include "commands.hpp"
#include "kernel.hpp"
#include "weft/base/staged_file.hpp"
#include "weft/build_info.hpp"
#include "weft/core/environment.hpp"
#include "weft/core/error.hpp"
#include "weft/core/provenance.hpp"

namespace weft::cli {
// Outside MPI: src/cli/job_command.cpp and src/cli/report_command.cpp.
int job_main(int argc, char** argv);
int report_main(int argc, char** argv);
}  // namespace weft::cli

namespace {

// CLI11 says "A subcommand is required" for `weft run nosuch`; name the kernel instead.
std::string explain(const CLI::ParseError& e, int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) != "run") continue;
    const std::string name = argv[i + 1];
    if (!name.empty() && name[0] != '-' && !weft::kernels::find(name)) {
      return "unknown kernel '" + name + "'; 'weft kernels' lists them";
    }
    break;
  }
  return std::string(e.what()) + " (see 'weft --help')";
}

int parallel_main(int argc, char** argv) {
  // The whole command line is parsed before MPI starts, so that MPI is initialised at the
  // thread level the command needs; what parsing threw is reported under MPI (on rank 0,
  // every rank out), as every rank parsed the same command line.
  CLI::App app{"weft: hybrid MPI + OpenMP kernels, datasets and jobs", "weft"};
  app.set_version_flag("--version", std::string(weft::build_info::version) + " (" +
                                        weft::build_info::git_revision + ")");
  app.require_subcommand(1);
  app.footer(
      "Outside MPI (run them directly, not under mpirun):\n"
      "  job     run a job spec locally, or submit it to Slurm (weft job --help)\n"
      "  report  one HTML page from result records (weft report --help)");
  weft::cli::action chosen;
  int threads = omp_get_max_threads();  // OMP_NUM_THREADS, or the cores the rank is bound to
  weft::cli::add_info(app, chosen);
  weft::cli::add_kernels(app, chosen);
  double hang_timeout = 0;
  weft::cli::add_run(app, chosen, threads, hang_timeout);
  weft::cli::add_data(app, chosen);
  std::exception_ptr parsed;
  try {
    app.parse(argc, argv);
  } catch (const CLI::Error&) {
    parsed = std::current_exception();
  }
  // One thread per rank needs no more than MPI_THREAD_SINGLE, which keeps OpenMPI's
  // small-message path as short as a plain MPI program's.
  // The hang watchdog's thread talks MPI beside the main thread.
  weft::environment env(argc, argv,
                        hang_timeout > 0 ? weft::thread_level::multiple
                                         : weft::environment::level_for_threads(threads));
  return weft::environment::run([&]() -> int {
    const auto world = weft::environment::world();
    if (parsed) {
      try {
        std::rethrow_exception(parsed);
      } catch (const CLI::Success& e) {  // --help, --help-all, --version
        if (world.rank() == 0) app.exit(e);
        return 0;
      } catch (const CLI::ParseError& e) {
        throw weft::usage_error(explain(e, argc, argv), true);
      }
    }
    try {
      return chosen(world);
    } catch (const weft::output_exists& e) {
      // The library says what exists; the command line says how to allow replacing it.
      throw weft::usage_error(std::string(e.what()) + "; pass --force to replace it",
                              e.collective());
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  weft::set_command_line(argc, argv);
  // The launch layer and the report never initialise MPI: dispatch before the environment.
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "job") return weft::cli::job_main(argc, argv);
  if (command == "report") return weft::cli::report_main(argc, argv);
  return parallel_main(argc, argv);
}
