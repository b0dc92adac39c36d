// The results folder of a job: runs/<run>.json (each kernel run's record, annotated with
// its job, step, sweep point and repeat), runs/<run>.log, summary.csv (one row per run)
// and provenance.json (the spec, the commands, the software, the machine, the times).
// collect_results writes the summary and provenance from whatever records are there, so
// it serves `weft job run` at the end and `weft job collect` after a Slurm job.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <optional>

#include "launch/plan.hpp"
#include "weft/base/record.hpp"

namespace weft::launch {

// How one run ended, when the launcher saw it (local runs); Slurm runs have none.
struct run_outcome {
  std::string status;  // ok | failed | timed-out | stopped | interrupted | skipped | reused |
                       // not selected
  int exit_code = 0;
  double seconds = 0;
  std::vector<std::string> command;
  bool reused = false;  // passed in an earlier run of the spec, not run again
};

struct collect_summary {
  int runs = 0;
  int records = 0;                           // kernel and program runs with a record
  int passed = 0;                            // records whose validation passed
  int missing = 0;                           // kernel and program runs without a record
  int references_failed = 0;                 // records with a failed reference
  std::vector<std::string> failed_messages;  // "run: metric ... below the reference ..."
};

// The "job" object added to each record: job, step, run id, point, repeat, sweep axes.
[[nodiscard]] json run_annotation(const job_plan& plan, const run_spec& run);
// Adds run_annotation and the verdicts against the spec's references to the run's record
// if it exists, and returns it; nullopt when there is none.
std::optional<record> annotate_record(const job_plan& plan, const run_spec& run);

// What the launcher remembers of a local run (runs/<run>.state.json), to resume a job:
// how it ended, the command it ran, and the files its words name as the run left them.
struct run_state {
  std::string status;  // as run_outcome
  int exit_code = 0;
  double seconds = 0;
  std::string finished;         // UTC
  std::string key;              // the command, its environment and weft's build
  json files = json::object();  // path -> "size:mtime_ns"
};
[[nodiscard]] std::string state_file(const job_plan& plan, const run_spec& run);
[[nodiscard]] std::optional<run_state> read_state(const job_plan& plan, const run_spec& run);
void write_state(const job_plan& plan, const run_spec& run, const run_state& state);

// Annotates every record, writes summary.csv and provenance.json (with `extra` merged in).
collect_summary collect_results(const job_plan& plan,
                                const std::map<std::string, run_outcome>& outcomes,
                                const json& extra);

// One CSV field, quoted when it needs to be (RFC 4180).
[[nodiscard]] std::string csv_field(const std::string& text);

}  // namespace weft::launch
