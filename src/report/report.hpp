// report: one self-contained HTML page from weft result records (schema weft.record/1) —
// a table of runs, strong/weak scaling plots for sweeps (time, speedup, efficiency), the
// per-phase times with their min–max over ranks, per-size tables (e.g. pingpong), and a
// roofline where records report GFlop/s with an arithmetic intensity. Charts are drawn
// by Chart.js, read from disk (Debian's libjs-chart.js) and inlined with its licence, so
// the page needs no network. Runs outside MPI.
#pragma once

#include <string>
#include <vector>

#include "weft/base/error.hpp"
#include "weft/base/json.hpp"
#include "weft/base/record.hpp"

namespace weft::report {

struct options {
  std::string output;
  std::string title = "weft report";
  std::string chartjs = "/usr/share/javascript/chart.js/chart.min.js";
  double bandwidth_gbs = 0;  // memory roof; 0: the best nstream bandwidth in the records
  double peak_gflops = 0;    // compute roof; 0: none
};

struct loaded_record {
  std::string source;  // file it came from
  record rec;
};

// One point of a scaling series: the best (shortest) time over repeats.
struct scaling_point {
  std::string label;  // "RxT", or "N:RxT" (N nodes) when the series spans several node counts
  int nodes = 1;
  int ranks = 1;
  int threads = 1;
  double time_s = 0;
  double speedup = 0;
  double efficiency = 0;
};

struct scaling_series {
  std::string title;                  // job / step (and fixed sweep values)
  std::string scaling;                // strong | weak
  std::string time_name;              // which figure the time is
  std::vector<scaling_point> points;  // by workers, then ranks
};

// Records from folders (searched recursively) and files, a results folder's in the order of
// its job spec (provenance.json). Throws weft::input_error (exit 3)
// for a missing input, a file that is not a record, a folder without records, or a file
// that claims the record schema but breaks it.
[[nodiscard]] std::vector<loaded_record> load_records(const std::vector<std::string>& inputs);

// The time of one run: the first lower-is-better metric in seconds, else the sum of the
// phases' max times; < 0 when the record has neither.
[[nodiscard]] double run_time(const record& rec, std::string* name = nullptr);

// Scaling series: records grouped by job, step and the swept values other than ranks and
// threads; only groups with more than one layout. Strong: speedup = T(base) / T,
// efficiency = speedup / (workers / base workers). Weak: efficiency = T(base) / T,
// speedup = efficiency * workers / base workers.
[[nodiscard]] std::vector<scaling_series> scaling(const std::vector<loaded_record>& records);

// What a results folder of `weft job` adds to its records (provenance.json): runs that did
// not pass, with the tail of their logs, and the job's history for trend charts.
struct run_issue {
  std::string run;
  std::string status;  // failed | timed-out | stopped | interrupted | skipped | missing
  int exit_code = 0;
  double wall_s = 0;
  std::string log_tail;  // the last lines of runs/<run>.log
};
struct job_context {
  std::vector<run_issue> issues;
  std::vector<json> history;  // weft.history/1 lines of the jobs in the records
};
// Reads provenance.json and the history file of each results folder among the inputs.
[[nodiscard]] job_context load_context(const std::vector<std::string>& inputs);

struct rendered {
  std::string html;
  int charts = 0;
};
// The page, given Chart.js's source.
[[nodiscard]] rendered render_html(const std::vector<loaded_record>& records, const options& opts,
                                   const std::string& chartjs_source,
                                   const job_context& context = {});

struct written {
  int records = 0;
  int charts = 0;
};
// Loads, renders and writes opts.output atomically. Throws input_error, usage_error (the
// output's folder is missing, or Chart.js is not found) or weft::error.
written write_report(const std::vector<std::string>& inputs, const options& opts);

}  // namespace weft::report
