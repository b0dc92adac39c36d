#include "kernel.hpp"

#include <cmath>

#include <fmt/format.h>

#include "weft/core/error.hpp"
#include "weft/io/file.hpp"

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

bool arguments::given(const std::string& name) const {
  if (!has(name)) return false;
  const std::string t = text(name);
  return !t.empty() && t != "none";
}

const kernel* find(const std::string& name) {
  for (const auto& k : registry()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

param input_param() {
  return {.name = "input", .type = param_type::text, .help = "dataset to read, as FILE:/path"};
}

// 4 MiB: a slab and the one read ahead stay in a 32 MiB L3 with room to spare, so the
// threads that scan a slab find it there (docs/benchmarks.md: 16 MiB was 5-15 % slower).
param slab_param() {
  return {.name = "slab-mib",
          .type = param_type::real,
          .default_value = "4",
          .help = "MiB read per collective step (over all ranks)",
          .min = 0.001,
          .max = 1e6};
}

void check_closed_form(record& rec, const std::string& what, double got, double expected,
                       double limit, std::string method) {
  const double rel = expected == 0 ? std::abs(got) : std::abs(got - expected) / std::abs(expected);
  rec.check.passed = rel <= limit;
  rec.check.method = std::move(method);
  rec.check.detail = fmt::format("{} {:.17g}, expected {:.17g}, relative error {:.3g} (limit {:g})",
                                 what, got, expected, rel, limit);
}

void check_output_prefix(const comm_ref& world, const std::filesystem::path& prefix,
                         const std::string& option) {
  std::string problem;
  if (world.rank() == 0) {
    const std::filesystem::path dir = prefix.parent_path().empty() ? "." : prefix.parent_path();
    std::error_code ec;
    if (prefix.filename().empty()) {
      problem = option + " needs a file name prefix, not a folder";
    } else if (!std::filesystem::is_directory(dir, ec)) {
      problem = option + " " + prefix.string() + ": the folder does not exist; create it first";
    }
  }
  agree_or_throw<usage_error>(world, problem.empty(), problem);
  // Before the run rather than at its first output: every node must see the folder.
  io::require_shared_folder(world, prefix.parent_path());
}

}  // namespace weft::kernels
