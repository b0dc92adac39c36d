// job_plan: a validated job spec expanded into the runs it makes — one per step, sweep
// point and repeat — each with its layout, its resolved parameters and the argv that
// follows the launcher (`weft run KERNEL ... --json FILE`, `weft data ...`, or a command).
// mpirun_command adds the launcher: mapping and binding for ranks x threads, the OpenMP
// variables, oversubscription only when the spec allows it and the layout needs it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "launch/spec.hpp"

namespace weft::launch {

struct run_spec {
  std::string id;  // file-name safe: <step>[-p<point>][-r<repeat>]
  std::size_t step = 0;
  int point = 0;
  int points = 1;
  int repeat = 0;
  step_kind kind = step_kind::kernel;
  int nodes = 1;
  int ranks = 1;
  int threads = 1;
  json params = json::object();                          // kernel parameters at this point
  json sweep = json::object();                           // the swept axes' values at this point
  std::vector<std::string> args;                         // what the launcher starts
  std::vector<std::pair<std::string, std::string>> env;  // the step's env, expanded
  std::string record;  // the JSON record of a kernel or program run; "" otherwise
  bool oversubscribed = false;

  // Ranks on the fullest node (ranks spread evenly over the nodes).
  [[nodiscard]] int ranks_per_node() const noexcept { return (ranks + nodes - 1) / nodes; }
};

struct plan_options {
  std::string weft = "weft";  // the weft executable the runs start
  int cores_per_node = 0;     // 0: unknown (the spec's resources.cores_per_node wins)
  int sockets_per_node = 1;
  bool local = true;     // `weft job run`: one node, layouts checked against the cores here
  std::string output;    // overrides paths.output
  std::string hostfile;  // overrides resources.hostfile (`weft job run --hostfile`)
};

// The number of distinct hosts an mpirun hostfile lists (comments and blank lines skipped).
[[nodiscard]] int hostfile_hosts(const std::string& path);

struct job_plan {
  job_spec spec;
  std::string output;    // absolute results folder
  std::string hostfile;  // mpirun --hostfile for local runs on several nodes; "" for none
  std::string weft;
  int cores_per_node = 0;
  int sockets_per_node = 1;
  std::vector<run_spec> runs;
};

// Expands a spec. Throws spec_error when a layout cannot run here (more ranks x threads
// than cores without binding.oversubscribe, several nodes for a local run).
[[nodiscard]] job_plan make_plan(const job_spec& spec, const plan_options& options);

// mpirun's argv for one run, the run's args included.
[[nodiscard]] std::vector<std::string> mpirun_command(const job_plan& plan, const run_spec& run);
// OMP_NUM_THREADS, OMP_PLACES, OMP_PROC_BIND for one run.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> openmp_environment(
    const run_spec& run);

// Hardware threads this process may use, and sockets (physical packages) of this machine.
[[nodiscard]] int local_cores();
[[nodiscard]] int local_sockets();

}  // namespace weft::launch
