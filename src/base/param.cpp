#include "weft/base/param.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace weft {

const char* to_string(param_type t) noexcept {
  switch (t) {
    case param_type::integer:
      return "integer";
    case param_type::real:
      return "number";
    case param_type::text:
      return "text";
    case param_type::flag:
      return "flag";
    case param_type::choice:
      return "choice";
  }
  return "?";
}

namespace {
std::string number_text(double v) {
  return fmt::format("{:g}", v);
}
}  // namespace

std::string param::range_text() const {
  if (min && max) return fmt::format("from {} to {}", number_text(*min), number_text(*max));
  if (min) return "at least " + number_text(*min);
  if (max) return "at most " + number_text(*max);
  return "";
}

std::string check_value(const param& p, const json& value) {
  double number = 0;
  switch (p.type) {
    case param_type::integer:
      if (value.is_number_integer()) {
        number = value.get<double>();
        break;
      }
      if (value.is_number_float()) {
        const double v = value.get<double>();
        if (std::isfinite(v) && v == std::floor(v)) {
          number = v;
          break;
        }
      }
      return "expected an integer";
    case param_type::real:
      if (!value.is_number()) return "expected a number";
      number = value.get<double>();
      if (!std::isfinite(number)) return "expected a finite number";
      break;
    case param_type::text:
      return value.is_string() ? "" : "expected a string";
    case param_type::flag:
      return value.is_boolean() ? "" : "expected true or false";
    case param_type::choice: {
      std::string list;
      for (const auto& c : p.choices) list += (list.empty() ? "" : ", ") + c;
      if (!value.is_string()) return "expected one of: " + list;
      const auto v = value.get<std::string>();
      if (std::find(p.choices.begin(), p.choices.end(), v) == p.choices.end()) {
        return fmt::format("'{}' is not one of: {}", v, list);
      }
      return "";
    }
  }
  if ((p.min && number < *p.min) || (p.max && number > *p.max)) return "must be " + p.range_text();
  return "";
}

}  // namespace weft
