// figures: what a job knows about the numbers its runs produce.
//
// - program_record: the result record of a program step's run, from its output (named
//   patterns, a sanity pattern, the exit code), or from the weft record the program wrote
//   to $WEFT_RECORD, so that summaries, references, compare and the report treat programs
//   and kernels alike.
// - verdicts: each metric of a record against the spec's references for this system:
//   pass, fail or no reference.
// - history: every run's figures appended to a per-system JSON-lines file, for trends.
#pragma once

#include <string>
#include <vector>

#include "launch/plan.hpp"
#include "weft/base/record.hpp"

namespace weft::launch {

// The system a run ran on, as references name it: a host, or a Slurm cluster and partition.
struct system_id {
  std::string host;
  std::string cluster;    // SLURM_CLUSTER_NAME, "" outside Slurm
  std::string partition;  // SLURM_JOB_PARTITION
  // This process's host and Slurm variables.
  [[nodiscard]] static system_id here();
  // The name history files use: the cluster when known, else the host.
  [[nodiscard]] std::string name() const;
  // True when `pattern` (a hostname glob, or CLUSTER:PARTITION globs) names this system.
  [[nodiscard]] bool matches(const std::string& pattern) const;
};

// The record of one program run. `output` is what it printed (stdout and stderr), `exit_code`
// its exit status (-1: unknown), `seconds` its wall time (0: unknown).
[[nodiscard]] record program_record(const job_plan& plan, const run_spec& run,
                                    const std::string& output, int exit_code, double seconds);

// One verdict per metric of the record: {metric, value, unit, better, verdict, and when a
// reference applies: reference, low, high, system, change_percent}. verdict is "pass",
// "fail" or "no reference".
[[nodiscard]] json verdicts(const job_spec& spec, const record& r, const std::string& step,
                            const std::string& run_id, const system_id& system);
// "fail" when any verdict failed, "pass" when some passed, else "no reference".
[[nodiscard]] std::string overall_verdict(const json& verdicts);
// One line per failed verdict, e.g. "bandwidth 80.1 GB/s is 19.9 % below the reference
// 100 GB/s (lower tolerance 10 %)".
[[nodiscard]] std::vector<std::string> verdict_failures(const json& verdicts);

// The history file of this job's system: paths.history, or <results>/../history, then
// <system>.jsonl.
[[nodiscard]] std::string history_file(const job_plan& plan, const system_id& system);
// Appends one line for the run's record (figures, verdicts, build, time). `job_time` is
// when the job (this invocation of weft job run, or the Slurm submission) started: the
// report's trend charts put one point per job time.
void append_history(const job_plan& plan, const run_spec& run, const record& r,
                    const json& verdicts, const system_id& system, const std::string& job_time);

}  // namespace weft::launch
