// compare: `weft job compare OLD NEW` — two results folders, run by run and metric.
//
// Runs are matched by step and sweep point (repeats of one point form a group; a record
// without a job annotation is matched by its file name). Each side's figure is the median
// over its repeats, and its spread (max - min) in % of the median. A change counts only
// when it is larger than the noise: the larger of the two spreads and the given noise
// floor. Its verdict then follows the metric's direction: better or worse; else same.
#pragma once

#include <string>
#include <vector>

namespace weft::launch {

struct compare_options {
  double noise_percent = 2.0;  // changes within this are "same" even without repeats
};

struct compare_row {
  std::string run;  // step, or step-pN for a sweep point
  std::string sweep;
  std::string metric;
  std::string unit;
  bool higher_is_better = true;
  int old_count = 0;  // records (repeats) on each side
  int new_count = 0;
  double old_value = 0;  // medians
  double new_value = 0;
  double old_spread_percent = 0;
  double new_spread_percent = 0;
  double change_percent = 0;  // (new - old) / |old|
  std::string verdict;        // better | worse | same | only old | only new
};

// Throws weft::input_error (exit 3) when a folder is missing or holds no records.
[[nodiscard]] std::vector<compare_row> compare_results(const std::string& old_dir,
                                                       const std::string& new_dir,
                                                       const compare_options& options);

[[nodiscard]] std::string compare_text(const std::vector<compare_row>& rows,
                                       const std::string& old_dir, const std::string& new_dir);
[[nodiscard]] std::string compare_csv(const std::vector<compare_row>& rows);
// One self-contained page: the table with the verdicts coloured, and what was compared.
[[nodiscard]] std::string compare_html(const std::vector<compare_row>& rows,
                                       const std::string& old_dir, const std::string& new_dir);

}  // namespace weft::launch
