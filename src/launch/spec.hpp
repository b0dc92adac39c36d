// job_spec: a job described in TOML (jobs/*.toml) — what to run, on how many ranks and
// threads, how to bind them, where inputs and results live, how often to repeat, and
// which axes to sweep. load_spec validates the whole file before anything runs: unknown
// keys, wrong types, bad names and impossible values raise spec_error, which names the
// file, the line and the key (the command exits 2). The launch layer never touches MPI:
// it runs outside mpirun and builds mpirun/srun/sbatch command lines.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "weft/base/json.hpp"
#include "weft/base/param.hpp"

namespace weft::launch {

// A bad job spec: `file:line: key: message`.
class spec_error : public std::runtime_error {
 public:
  spec_error(const std::string& file, int line, const std::string& key, const std::string& what);
  [[nodiscard]] const std::string& key() const noexcept { return key_; }
  [[nodiscard]] int line() const noexcept { return line_; }

 private:
  std::string key_;
  int line_ = 0;
};

// What the launcher knows about a kernel's parameters (their declarations, the same the
// `weft run` command line is built from), to check a spec before it runs.
struct kernel_info {
  std::string name;
  std::vector<param> params;
};
// Empty: kernel names and parameters are not checked.
using kernel_catalogue = std::vector<kernel_info>;

// kernel: `weft run KERNEL` under the launcher; data: `weft data ...` under it; program:
// any executable under the launcher (the step's ranks, threads and binding); command: any
// executable run once, directly, without the launcher (a build, a report).
enum class step_kind { kernel, data, program, command };

// A figure read from a program's output: the last match of `regex` (ECMAScript, exactly
// one capture group) gives the value.
struct metric_pattern {
  std::string name;
  std::string regex;
  std::string unit;
  bool higher_is_better = true;
  int line = 0;
};

// A reference value for one metric on one system. A run's metric passes when it lies in
// [value * (1 - lower), value * (1 + upper)]; a bound not given is open.
struct reference_spec {
  std::string system = "*";  // hostname glob, or "CLUSTER:PARTITION" (globs) under Slurm
  std::string step = "*";    // step name glob
  std::string run = "*";     // run id glob (a sweep point: "layouts-p1")
  std::string metric;
  double value = 0;
  std::optional<double> lower;  // fractions, e.g. 0.05 for 5 %
  std::optional<double> upper;
  std::optional<bool> higher_is_better;  // default: the metric's own direction
  std::string unit;                      // checked against the metric's unit when given
  std::string file;                      // where it was given (for messages)
  int line = 0;
};

// Axes of a sweep. Points are the product of the axes (or the explicit layouts times the
// parameter axes). Weak scaling multiplies the `weak` parameters by workers / workers of
// the first point, so each worker keeps the same share.
struct sweep_spec {
  std::vector<int> nodes;  // with resources.ranks_per_node and no ranks axis: ranks = nodes x it
  std::vector<int> ranks;
  std::vector<int> threads;
  std::vector<std::pair<int, int>> layouts;  // explicit (ranks, threads)
  std::vector<std::pair<std::string, std::vector<json>>> params;
  std::string scaling = "strong";  // "strong" or "weak"
  std::vector<std::string> weak;
  int line = 0;
};

struct step_spec {
  std::string name;
  step_kind kind = step_kind::kernel;
  std::string kernel;             // kind == kernel
  json params = json::object();   // kernel parameters, by name
  std::vector<std::string> args;  // `weft data` arguments, or the program's or command's argv
  std::vector<std::pair<std::string, std::string>> env;  // set for the run (placeholders expand)
  std::vector<std::string> launcher_args;  // after mpirun/srun, e.g. {"--mca", "btl", "self,vader"}
  std::vector<metric_pattern> metrics;     // program and command steps
  std::string sanity;                      // a regex the output must match to pass
  std::optional<int> ranks;                // overrides resources for this step
  std::optional<int> threads;
  std::optional<int> repeats;  // default: the job's repeats
  bool checkpoints = false;    // the kernel checkpoints and stops with 75 on SIGUSR1/SIGTERM
  std::string restart_flag;    // added on a requeued run, e.g. "restart" -> --restart
  std::optional<sweep_spec> sweep;
  int line = 0;
};

struct resources_spec {
  int nodes = 1;
  int ranks = 1;  // total
  std::optional<int> ranks_per_node;
  int threads = 1;  // per rank
  std::optional<int> cores_per_node;
  std::string time;  // Slurm time limit of each batch job, e.g. "00:30:00"
  std::string partition;
  std::string account;
  std::string memory;  // per node, e.g. "4G"
  bool exclusive = false;
  std::string hostfile;  // for `weft job run` on several nodes with plain mpirun
};

struct binding_spec {
  std::string policy = "cores";  // cores | socket | none
  bool oversubscribe = false;    // allow more ranks x threads than cores
};

struct slurm_spec {
  std::string launcher = "srun";  // srun | mpirun
  int signal_lead_s = 120;        // --signal=B:USR1@lead for checkpointing steps
  bool requeue = false;           // requeue a step that stopped with 75
  bool collect = true;            // chain `weft job collect` with --dependency=afterok
};

struct job_spec {
  std::string file;  // as given
  std::string text;  // the file's content (kept for provenance)
  std::string name;
  std::string description;
  int repeats = 1;
  int run_time_limit_s = 0;  // per run; 0: none
  int hang_timeout_s = 0;    // kernel runs: `weft run --hang-timeout`; 0: no watchdog
  resources_spec resources;
  binding_spec binding;
  slurm_spec slurm;
  std::string input;    // paths.input
  std::string output;   // paths.output (default results/<name>)
  std::string history;  // paths.history: per-system history folder ("" = <output>/../history)
  std::vector<step_spec> steps;
  std::vector<reference_spec> references;  // [[reference]] tables and the references file
  int resources_line = 0;
  int binding_line = 0;
  int paths_line = 0;
};

// Reads and validates a spec. Throws spec_error (bad spec) or std::runtime_error (file
// unreadable).
[[nodiscard]] job_spec load_spec(const std::string& file, const kernel_catalogue& kernels = {});
// The same from text (file is used in messages only).
[[nodiscard]] job_spec parse_spec(const std::string& text, const std::string& file,
                                  const kernel_catalogue& kernels = {});

// True when name matches [A-Za-z0-9._-]{1,64} and does not start with '-' or '.'.
[[nodiscard]] bool is_safe_name(const std::string& name);
// Parses a duration: integer seconds, "90s", "15m", "2h", or [D-]HH:MM:SS / MM:SS.
// Returns nullopt when malformed.
[[nodiscard]] std::optional<int> parse_duration(const std::string& text);
// Slurm's time format (D-HH:MM:SS) for a number of seconds.
[[nodiscard]] std::string slurm_time(int seconds);

}  // namespace weft::launch
