// Slurm: batch scripts for a job plan, submission with `sbatch --parsable` (an argument
// vector, never a shell string), status from squeue/sacct, and collection of results.
//
// Each step becomes one batch job; a step with several sweep points becomes a job array
// (one task per point, running that point's repeats). Steps are chained with
// --dependency=afterok, and a last job runs `weft job collect` once they all succeeded.
// Every user-provided string in a script is single-quoted; values on #SBATCH lines are
// validated (no control characters, whitespace or quotes) before a script is written.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "launch/plan.hpp"

namespace weft::launch {

struct batch_script {
  std::string step;  // step name, or "collect"
  std::string path;  // where it is written: <results>/slurm/<job>-<step>.sbatch
  std::string text;
  int tasks = 1;  // array tasks (1: not an array)
};

// The scripts for a plan made with plan_options::local = false. Throws spec_error when a
// value cannot go on an #SBATCH line.
[[nodiscard]] std::vector<batch_script> batch_scripts(const job_plan& plan);

// sbatch's argv for one script, after the job it depends on ("" for none).
[[nodiscard]] std::vector<std::string> sbatch_command(const batch_script& script,
                                                      const std::string& after);

// `weft job submit`: writes the scripts, submits them in order and records the job ids
// in <results>/slurm/jobs.json. dry_run prints scripts and sbatch commands only.
int submit_to_slurm(const job_plan& plan, bool dry_run, std::ostream& out, std::ostream& err);
// `weft job status`: the state of each submitted job; with wait, polls until none is
// pending or running (or timeout_s passes: exit 1).
int slurm_status(const job_plan& plan, bool wait, int timeout_s, std::ostream& out,
                 std::ostream& err);
// `weft job collect`: annotates the records, writes summary.csv and provenance.json.
int collect_slurm(const job_plan& plan, std::ostream& out, std::ostream& err);

}  // namespace weft::launch
