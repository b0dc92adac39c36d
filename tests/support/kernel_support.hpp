// Runs a registered kernel in-process with the given parameters (defaults for the rest).
#pragma once

#include <gtest/gtest.h>

#include "kernel.hpp"
#include "test_support.hpp"

namespace weft::testing {

inline json default_arguments(const kernels::kernel& k) {
  json values = json::object();
  for (const auto& p : k.params) {
    if (p.default_value.empty()) continue;
    switch (p.type) {
      case param_type::integer:
        values[p.name] = std::stoll(p.default_value);
        break;
      case param_type::real:
        values[p.name] = std::stod(p.default_value);
        break;
      case param_type::flag:
        values[p.name] = p.default_value == "true";
        break;
      default:
        values[p.name] = p.default_value;
        break;
    }
  }
  return values;
}

// Runs the kernel over communicator c (for example a part of the world, to restart a
// checkpointed run on fewer ranks).
inline record run_kernel_on(const comm_ref& c, const std::string& name, const json& overrides) {
  const auto* k = kernels::find(name);
  if (!k) throw std::runtime_error("no kernel " + name);
  json values = default_arguments(*k);
  for (const auto& [key, v] : overrides.items()) values[key] = v;
  const kernels::arguments args(values);
  return k->run(kernels::context{c, args});
}

inline record run_kernel(const std::string& name, const json& overrides) {
  const auto w = world();
  return run_kernel_on(w, name, overrides);
}

}  // namespace weft::testing
