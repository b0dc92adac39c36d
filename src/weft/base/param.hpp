// param: a kernel's declared parameter — name, type, default, help, range or choices.
//
// The `weft run <kernel>` command turns these into options; the launch layer checks job
// specs against them before anything launches. Free of MPI.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "weft/base/json.hpp"

namespace weft {

enum class param_type { integer, real, text, flag, choice };

[[nodiscard]] const char* to_string(param_type t) noexcept;

struct param {
  std::string name;  // becomes --name
  param_type type = param_type::integer;
  std::string default_value;  // as typed on the command line; "" for none
  std::string help;
  std::optional<double> min;  // inclusive bounds for integer and real
  std::optional<double> max;
  std::vector<std::string> choices;  // for param_type::choice
  bool required = false;             // no default: the run needs a value
  bool input = false;  // text: a FILE:/path the run reads (`weft run` probes it ahead)

  // The range in words, e.g. "at least 1", "from 0 to 1", "" when unbounded.
  [[nodiscard]] std::string range_text() const;
};

// Checks a value (a JSON value from a job spec, or one parsed from the command line)
// against the declaration. Returns "" when it fits, else what is wrong in one phrase,
// e.g. "must be at least 1", "expected an integer", "'x' is not one of: a, b".
[[nodiscard]] std::string check_value(const param& p, const json& value);

}  // namespace weft
