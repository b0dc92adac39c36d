// The `weft` command's subcommands. Each add_* declares its options on the CLI11 app and,
// when the command line is parsed (before MPI starts), sets the function that runs it
// (on every rank, under MPI).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>

#include "weft/core/comm.hpp"

namespace weft::cli {

using action = std::function<int(const comm_ref& world)>;

// `weft info`: MPI, HDF5, ranks, nodes, threads and bindings.
void add_info(CLI::App& app, action& chosen);
// `weft kernels`: every kernel with its summary and parameters.
void add_kernels(CLI::App& app, action& chosen);
// `weft run KERNEL ...`: one subcommand per registered kernel. Parsing sets `threads` to
// the run's --threads (left alone when not given) and `hang_timeout` to its
// --hang-timeout, both known before MPI starts (a watchdog needs MPI_THREAD_MULTIPLE).
void add_run(CLI::App& app, action& chosen, int& threads, double& hang_timeout);
// `weft data generate|info`: write and describe HDF5 datasets.
void add_data(CLI::App& app, action& chosen);

}  // namespace weft::cli
