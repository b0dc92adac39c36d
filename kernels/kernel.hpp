// The kernel interface: what a kernel declares and what it receives when it runs.
//
// A kernel declares its name, a one-line summary and its parameters (name, type,
// default, help, range or choices); `weft run <kernel>` turns those into real command
// line options. Its run function receives the parsed arguments (identical on every rank,
// checked before the run) and the world communicator, and returns a record: metrics,
// phase timings, validation. The command fills in layout, parameters and provenance.
//
// Kernels use only weft's public headers. They are listed explicitly in registry.cpp.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "weft/base/param.hpp"
#include "weft/base/record.hpp"
#include "weft/core/comm.hpp"
#include "weft/core/shape.hpp"
#include "weft/io/file.hpp"

namespace weft::kernels {

// Parsed parameter values, by name, as JSON values of the declared type.
class arguments {
 public:
  arguments() = default;
  explicit arguments(json values) : values_(std::move(values)) {}

  [[nodiscard]] long long integer(const std::string& name) const;
  [[nodiscard]] double real(const std::string& name) const;
  [[nodiscard]] std::string text(const std::string& name) const;
  [[nodiscard]] bool flag(const std::string& name) const;
  [[nodiscard]] bool has(const std::string& name) const;
  // An optional text parameter such as FILE:/path: false when absent, empty or "none"
  // (the default those parameters declare).
  [[nodiscard]] bool given(const std::string& name) const;
  // Text parameters parsed as a shape (512x512) or a dataset (FILE:/path), naming the
  // option in errors. Every rank holds the same arguments, so a malformed one throws the
  // same usage_error on every rank, marked collective: one line, printed once.
  [[nodiscard]] extents shape(const std::string& name, int max_axes = 3) const;
  [[nodiscard]] io::dataset_ref dataset(const std::string& name) const;
  [[nodiscard]] const json& values() const noexcept { return values_; }

 private:
  const json& at(const std::string& name) const;
  json values_ = json::object();
};

struct context {
  const comm_ref& world;
  const arguments& args;
};

struct kernel {
  std::string name;
  std::string summary;
  std::vector<param> params;
  std::function<record(const context&)> run;
};

// Parameters of the kernels that read one dataset slab by slab (reduce, histogram):
// --input FILE:/path and --slab-mib.
param input_param();
// Collective (an agreement): a usage error on every rank unless `prefix` names files in a
// folder that exists (PREFIX.h5 and the like), naming `option`.
void check_output_prefix(const comm_ref& world, const std::filesystem::path& prefix,
                         const std::string& option);
param slab_param();
// --skip-fill: elements equal to the dataset's fill value (HDF5's, _FillValue,
// missing_value) are counted apart and left out, like NaN.
param skip_fill_param();
// The checkpoint options every kernel that checkpoints shares (io::checkpoint,
// io::step_loop): --checkpoint-every K (`unit`s; 0: only when stopped by a signal, the
// default `every`), --keep-checkpoints and --restart.
param checkpoint_every_param(const std::string& every, const std::string& unit);
param keep_checkpoints_param();
param restart_param();
// --grid: the rank grid, e.g. 2x1 (or auto: MPI_Dims_create's choice).
param rank_grid_param();

// |got - expected| / |expected|, or |got| when expected is 0.
double relative_error(double got, double expected);
// Records how a dataset kernel read its input: extra.read is "direct" (the file mapped) or
// "hdf5", extra.file_driver "mpio" (opened collectively with MPI-IO) or "sec2" (each
// rank on its own, HDF5's POSIX driver).
void record_input_reads(record& rec, bool direct, bool opened_with_mpi_io);
// Fills rec.check for a figure compared with its closed form: passed when
// relative_error(got, expected) is at most `limit`; the detail names the figure (`what`),
// both values, the error and the limit.
void check_closed_form(record& rec, const std::string& what, double got, double expected,
                       double limit, std::string method);

// Every kernel weft ships, in the order `weft kernels` lists them.
const std::vector<kernel>& registry();
// nullptr when no kernel has that name.
const kernel* find(const std::string& name);

}  // namespace weft::kernels
