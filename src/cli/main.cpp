// The `weft` command. Subcommands that run in parallel (run, info, kernels, data)
// initialise MPI and work under mpirun/srun or as a single process; the launch layer
// (job) and report run outside MPI and never initialise it.
#include <omp.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <csignal>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "kernel.hpp"
#include "weft/base/staged_file.hpp"
#include "weft/base/stop_signals.hpp"
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

// Levenshtein distance, for "did you mean" hints.
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// "; did you mean 'x'?" for the closest of `names` within two edits, else "".
std::string did_you_mean(const std::string& typed, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto& n : names) {
    const std::size_t d = distance(typed, n);
    if (d < best_d) best_d = d, best = n;
  }
  return best.empty() ? std::string() : "; did you mean '" + best + "'?";
}

// CLI11's messages name the symptom its parser met first ("A subcommand is required" for
// `weft runn`, "--input is required" for `--inptu x`). Say what the user typed wrong, and
// point at the help of the command they were in.
std::string explain(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  // The chain of subcommands typed, and where the first non-subcommand word is.
  CLI::App* at = &app;
  std::string path = "weft";
  int i = 1;
  for (; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word[0] == '-') break;
    CLI::App* sub = nullptr;
    for (CLI::App* c : at->get_subcommands({})) {
      if (c->check_name(word)) sub = c;
    }
    if (sub == nullptr) break;
    at = sub;
    path += " " + word;
  }
  const std::string help = " (see '" + path + " --help')";
  std::vector<std::string> commands;
  for (const CLI::App* c : at->get_subcommands({})) commands.push_back(c->get_name());
  if (i < argc && argv[i][0] != '-' && !commands.empty()) {
    const std::string word = argv[i];
    if (at->get_name() == "run") {
      return "unknown kernel '" + word + "'" + did_you_mean(word, commands) +
             " ('weft kernels' lists them)";
    }
    if (at == &app) commands.insert(commands.end(), {"job", "report"});
    return "unknown command '" + word + "'" + did_you_mean(word, commands) + help;
  }
  if (!commands.empty() && at->get_subcommands().empty()) {
    if (at->get_name() == "run") {
      return "run needs a kernel: weft run KERNEL [options] ('weft kernels' lists them)";
    }
    return "'" + path + "' needs a command" + help;
  }
  // An option the command does not have, wherever it was typed: say so first.
  for (int k = i; k < argc; ++k) {
    std::string word = argv[k];
    if (word.rfind("--", 0) != 0 || word == "--") continue;
    word = word.substr(0, word.find('='));
    bool known = false;
    std::vector<std::string> names;
    for (const CLI::App* a = at; a != nullptr; a = a->get_parent()) {
      for (const CLI::Option* o : a->get_options()) {
        for (const auto& n : o->get_lnames()) {
          names.push_back("--" + n);
          known = known || "--" + n == word;
        }
      }
    }
    if (!known) return "unknown option " + word + did_you_mean(word, names) + help;
  }
  return std::string(e.what()) + help;
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
        throw weft::usage_error(explain(app, e, argc, argv), true);
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
  if (command == "run") {
    // A checkpoint request (SIGUSR1: a job's time limit, Slurm's --signal) that comes
    // while no step loop runs (during start-up, or as the last step finishes) has nothing
    // to stop: caught from the first instruction and dropped for the rest of the process,
    // so it cannot kill a run (exit 138). A step loop installs its own catcher and
    // restores this one.
    static const weft::stop_signals late_checkpoint_requests({SIGUSR1});
  }
  return parallel_main(argc, argv);
}
