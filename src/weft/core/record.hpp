// record: the result of one kernel run, as printed on rank 0 and written as JSON.
//
// It holds the parameters, the rank/thread layout, timings per phase (min/mean/max over
// ranks), metrics with units, tables of per-size figures, the validation outcome and
// provenance. The JSON form (to_json) is the contract read by `weft report` and the job
// layer; its fields are documented in docs/results.md.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "weft/core/layout.hpp"
#include "weft/core/timer.hpp"

namespace weft {

using json = nlohmann::ordered_json;

struct metric {
  std::string name;
  double value = 0;
  std::string unit;
  bool higher_is_better = true;
  std::string formula;  // how the figure was computed, e.g. "32 B * length / time"
};

struct validation {
  bool passed = false;
  std::string method;  // what was checked against what
  std::string detail;  // the figures: expected, observed, tolerance
};

struct table {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
};

struct record {
  std::string kernel;
  json parameters = json::object();
  layout placement;
  std::vector<phase_stats> phases;
  std::vector<metric> metrics;
  std::vector<table> tables;
  validation check;
  json provenance = json::object();
  json extra = json::object();  // kernel-specific figures that fit nowhere else

  [[nodiscard]] const metric* find_metric(const std::string& name) const;
  [[nodiscard]] json to_json() const;
  // A readable multi-line summary (what rank 0 prints).
  [[nodiscard]] std::string to_text() const;
};

}  // namespace weft
