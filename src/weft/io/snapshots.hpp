// Snapshots of a distributed field over time, in one HDF5 file that ParaView and VisIt
// open as a time series through an XDMF sidecar.
//
//   io::snapshot_series series(world, "run/heat.h5", shape, {.attribute = "temperature"});
//   series.write(step, time, u);   // collective: run/heat.h5:/snapshots/step_00000100
//
// The file holds GROUP/step_NNNNNNNN datasets (the step zero-padded to 8 digits), each
// with "time" and "step" attributes; after every write, rank 0 rewrites (atomically) the
// sidecar, the same path with .xdmf, listing every snapshot in the file in step order:
// node-centred values on a uniform grid with origin 0 and spacing 1 along each axis.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <span>
#include <string>

#include "weft/base/json.hpp"
#include "weft/core/comm.hpp"
#include "weft/core/shape.hpp"
#include "weft/grid/dist_array.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/hdf5.hpp"

namespace weft::io {

// One field of a temporal series: a dataset path inside the HDF5 file, and its time.
struct xdmf_step {
  std::string dataset;
  double time = 0;
};

// Writes, atomically, an XDMF 3 file describing a temporal series of node-centred scalar
// fields of `shape` (1 to 3 axes) and element type `type`, named `field`, stored as
// the datasets of `steps` in `h5_file` (a path relative to the XDMF file's folder).
// Local: call it on one rank.
void write_xdmf(const std::filesystem::path& path, const std::string& h5_file, const extents& shape,
                element_type type, const std::string& field, std::span<const xdmf_step> steps);

struct snapshot_options {
  std::string group = "/snapshots";  // where the step datasets go
  std::string attribute = "field";   // the field's name in ParaView and VisIt
  // Keep the snapshots an intact file already holds (a run resumed from a checkpoint);
  // otherwise, and when the file is missing or damaged, the series starts afresh.
  bool resume = false;
  bool xdmf = true;                  // write the .xdmf sidecar
  json parameters = json::object();  // provenance attributes of a new file
};

class snapshot_series {
 public:
  // Collective over c: opens or starts the series at `path`.
  snapshot_series(const comm_ref& c, std::filesystem::path path, extents shape,
                  snapshot_options options = {});

  // Collective: writes a's values (global shape `shape`) as the snapshot of `step`,
  // replacing one of the same step, and updates the sidecar.
  template <class T, std::size_t N>
  void write(long long step, double time, const grid::dist_array<T, N>& a) {
    const file f = open_file(c_, path_, true);
    (void)write_block(open_step(f, step, time, element_type_of<T>()), a);
    written(step, time);
  }

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::filesystem::path xdmf_path() const;
  // The dataset path of a step's snapshot.
  [[nodiscard]] std::string dataset_of(long long step) const;
  // Steps in the file and their times (rank 0's view; other ranks see what they wrote).
  [[nodiscard]] const std::map<long long, double>& steps() const noexcept { return steps_; }

 private:
  dataset open_step(const file& f, long long step, double time, element_type type);
  void written(long long step, double time);

  comm_ref c_;
  std::filesystem::path path_;
  extents shape_;
  snapshot_options options_;
  element_type type_ = element_type::f64;
  std::map<long long, double> steps_;
};

}  // namespace weft::io
