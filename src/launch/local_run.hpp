// run_locally: `weft job run` — every run of a plan in order, each under mpirun (kernel
// and data steps) or directly (command steps), with the run's wall-clock limit; then the
// results folder (records, logs, summary.csv, provenance.json). A step whose runs fail
// stops the job after that step. As root it sets OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM) for
// mpirun and says so; oversubscribed runs are announced.
#pragma once

#include <ostream>

#include "launch/plan.hpp"

namespace weft::launch {

// Returns the exit code for the command: 0 all runs succeeded, 1 some failed, 75 when a
// run stopped early on request (checkpoint written), 130/143 when interrupted.
// dry_run prints the commands and runs nothing.
int run_locally(const job_plan& plan, bool dry_run, std::ostream& out, std::ostream& err);

// The command line (with its environment) one run starts, as a shell would take it.
[[nodiscard]] std::vector<std::string> local_command(const job_plan& plan, const run_spec& run);
[[nodiscard]] std::vector<std::pair<std::string, std::string>> local_environment(
    const run_spec& run);

}  // namespace weft::launch
