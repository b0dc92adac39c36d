// record: the result of one run, as printed on rank 0 and written as JSON.
//
// It holds the parameters, the rank/thread layout, timings per phase (min/mean/max over
// ranks), metrics with units and direction, tables of per-size figures, the validation
// outcome and provenance. to_json() writes the schema "weft.record/1" documented in
// docs/results.md; from_json() reads it back and is the one reader the launch layer, the
// report and users' scripts go through. Free of MPI.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "weft/base/json.hpp"
#include "weft/base/layout.hpp"

namespace weft {

inline constexpr const char* record_schema = "weft.record/1";

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

// One phase's wall time over ranks.
struct phase_stats {
  std::string phase;
  double min = 0;
  double mean = 0;
  double max = 0;
  // max / mean; 1 when mean is 0.
  [[nodiscard]] double imbalance() const noexcept { return mean > 0 ? max / mean : 1.0; }
};

struct record {
  std::string kernel;  // the kernel, or the program's name for a user's program
  json parameters = json::object();
  layout placement;
  std::vector<phase_stats> phases;
  std::vector<metric> metrics;
  std::vector<table> tables;
  validation check;
  json provenance = json::object();
  json extra = json::object();  // kernel-specific figures that fit nowhere else
  json job = json::object();    // set by the job layer: job, step, run, sweep point

  [[nodiscard]] const metric* find_metric(const std::string& name) const;
  [[nodiscard]] json to_json() const;
  // A readable multi-line summary (what rank 0 prints).
  [[nodiscard]] std::string to_text() const;

  // Reads a record written by to_json(). Throws input_error naming `source` (a file name,
  // for messages) and the first field that is missing or of the wrong type.
  [[nodiscard]] static record from_json(const json& j, const std::string& source = "record");
  // True when j claims the record schema (an object whose "schema" is record_schema).
  [[nodiscard]] static bool is_record(const json& j) noexcept;
};

// Reads one record file. Throws input_error when the file is missing, is not JSON, or is
// not a record.
[[nodiscard]] record read_record(const std::filesystem::path& file);

}  // namespace weft
