#include "kernel.hpp"

#include "weft/core/error.hpp"

namespace weft::kernels {

const json& arguments::at(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) throw usage_error("missing parameter --" + name);
  return *it;
}

long long arguments::integer(const std::string& name) const {
  return at(name).get<long long>();
}
double arguments::real(const std::string& name) const {
  return at(name).get<double>();
}
std::string arguments::text(const std::string& name) const {
  return at(name).get<std::string>();
}
bool arguments::flag(const std::string& name) const {
  return at(name).get<bool>();
}
bool arguments::has(const std::string& name) const {
  const auto it = values_.find(name);
  return it != values_.end() && !it->is_null();
}

const kernel* find(const std::string& name) {
  for (const auto& k : registry()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

}  // namespace weft::kernels
