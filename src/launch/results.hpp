// The results folder of a job: runs/<run>.json (each kernel run's record, annotated with
// its job, step, sweep point and repeat), runs/<run>.log, summary.csv (one row per run)
// and provenance.json (the spec, the commands, the software, the machine, the times).
// collect_results writes the summary and provenance from whatever records are there, so
// it serves `weft job run` at the end and `weft job collect` after a Slurm job.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "launch/plan.hpp"

namespace weft::launch {

// How one run ended, when the launcher saw it (local runs); Slurm runs have none.
struct run_outcome {
  std::string status;  // ok | failed | timed-out | interrupted | skipped
  int exit_code = 0;
  double seconds = 0;
  std::vector<std::string> command;
};

struct collect_summary {
  int runs = 0;
  int records = 0;  // kernel runs with a record
  int passed = 0;   // records whose validation passed
  int missing = 0;  // kernel runs without a record
};

// The "job" object added to each record: job, step, run id, point, repeat, sweep axes.
[[nodiscard]] json run_annotation(const job_plan& plan, const run_spec& run);
// Adds run_annotation to the run's record if it exists; false when there is none.
bool annotate_record(const job_plan& plan, const run_spec& run);

// Annotates every record, writes summary.csv and provenance.json (with `extra` merged in).
collect_summary collect_results(const job_plan& plan,
                                const std::map<std::string, run_outcome>& outcomes,
                                const json& extra);

// One CSV field, quoted when it needs to be (RFC 4180).
[[nodiscard]] std::string csv_field(const std::string& text);

}  // namespace weft::launch
