// run_locally: `weft job run` — every run of a plan in order, each under mpirun (kernel
// and data steps) or directly (command steps), with the run's wall-clock limit; then the
// results folder (records, logs, summary.csv, provenance.json). A step whose runs fail
// stops the job after that step. As root it sets OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM) for
// mpirun and says so; oversubscribed runs are announced.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "launch/plan.hpp"

namespace weft::launch {

struct local_options {
  bool dry_run = false;           // print the commands, run nothing
  bool force = false;             // run everything again, passed runs too
  std::vector<std::string> only;  // run only these steps
  std::string from;               // run this step and the ones after it
};

// Runs what is not done yet. A run is reused (not run again) when its state says it
// passed, with the same command, environment and weft build, the files its words name
// are as it left them, and its record still passes validation and references. A
// checkpointing step that stopped or timed out resumes with its restart option. Command
// steps always run when selected.
//
// Returns the exit code for the command: 0 all runs succeeded and no reference failed, 1
// some failed (or missed a reference), 75 when a run stopped early on request (checkpoint
// written), 130/143 when interrupted.
int run_locally(const job_plan& plan, const local_options& options, std::ostream& out,
                std::ostream& err);
// Per run: done, failed, stopped, timed-out or pending, from the runs' state files.
// Returns 0 when every run is done, 1 otherwise.
int local_status(const job_plan& plan, std::ostream& out);

// The command line (with its environment) one run starts, as a shell would take it.
[[nodiscard]] std::vector<std::string> local_command(const job_plan& plan, const run_spec& run);
[[nodiscard]] std::vector<std::pair<std::string, std::string>> local_environment(
    const run_spec& run);

}  // namespace weft::launch
