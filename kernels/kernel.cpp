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

namespace {
// Runs parse(); a usage_error it throws is rethrown marked collective.
template <class F>
auto same_on_every_rank(F parse) {
  try {
    return parse();
  } catch (const usage_error& e) {
    throw usage_error(e.what(), true);
  }
}
}  // namespace

extents arguments::shape(const std::string& name, int max_axes) const {
  return same_on_every_rank([&] { return parse_extents(text(name), "--" + name, max_axes); });
}

io::dataset_ref arguments::dataset(const std::string& name) const {
  return same_on_every_rank([&] { return io::parse_dataset_ref(text(name), "--" + name); });
}

const kernel* find(const std::string& name) {
  for (const auto& k : registry()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

param input_param() {
  return {.name = "input",
          .type = param_type::text,
          .help = "dataset to read, as FILE:/path (one field of a compound: FILE:/path#field)",
          .input = true};
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

param skip_fill_param() {
  return {.name = "skip-fill",
          .type = param_type::flag,
          .default_value = "false",
          .help =
              "count values equal to the dataset's fill value (HDF5 fill value, _FillValue, "
              "missing_value) apart and leave them out"};
}

param checkpoint_every_param(const std::string& every, const std::string& unit) {
  return {.name = "checkpoint-every",
          .type = param_type::integer,
          .default_value = every,
          .help = "write a checkpoint every K " + unit + " (0: only when stopped by a signal)",
          .min = 0};
}

param keep_checkpoints_param() {
  return {.name = "keep-checkpoints",
          .type = param_type::integer,
          .default_value = "2",
          .help = "checkpoints kept (the newest)",
          .min = 1};
}

param restart_param() {
  return {.name = "restart",
          .type = param_type::flag,
          .default_value = "false",
          .help = "resume from the newest good checkpoint"};
}

param rank_grid_param() {
  return {.name = "grid",
          .type = param_type::text,
          .default_value = "auto",
          .help = "rank grid, e.g. 2x1 (auto: MPI_Dims_create's choice)"};
}

double relative_error(double got, double expected) {
  return expected == 0 ? std::abs(got) : std::abs(got - expected) / std::abs(expected);
}

void record_input_reads(record& rec, bool direct, bool opened_with_mpi_io) {
  rec.extra["read"] = direct ? "direct" : "hdf5";
  rec.extra["file_driver"] = opened_with_mpi_io ? "mpio" : "sec2";
}

void check_closed_form(record& rec, const std::string& what, double got, double expected,
                       double limit, std::string method) {
  const double rel = relative_error(got, expected);
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
