// checkpoint: write a program's state to disk every N steps or on a stop request, and
// restart from it — on the same or any other number of ranks, nodes or threads.
//
// A program registers its state by reference once: distributed arrays (stored as global
// datasets, so any decomposition can read them back) and scalars (the step's companions:
// a time, an RNG counter, an accumulated total). write(step) stores all of it in
// PREFIX.ckpt.NNNNNNNN.h5, published atomically (an output_file: written under a
// temporary name, renamed when every rank has written its part), and keeps the newest
// `keep` checkpoints. Each array's content_hash goes into the file with it, and (unless
// verify is off) the published file is read back and every array's hash checked before
// an older checkpoint is removed: a checkpoint counts only when what every rank wrote
// reads back as written.
// restore() takes the newest checkpoint whose arrays hash to what was written: a
// checkpoint that cannot be opened, lacks an array or fails its hash is skipped with a
// warning, and the next older one is tried. A checkpoint written with another
// fingerprint (the physical parameters a restart must match) is refused: usage_error.
//
//   weft::io::checkpoint ckpt(world, {.prefix = "runs/plate", .keep = 2,
//                                      .fingerprint = params.dump()});
//   ckpt.add("field", u);
//   ckpt.add("time", t);
//   long long first = ckpt.restore().value_or(0);
//   for (long long step = first; step < steps; ++step) {
//     ...;
//     if ((step + 1) % 100 == 0) ckpt.write(step + 1);
//   }
//
// write() and restore() are collective over the communicator. Cost: write is one
// collective HDF5 write of every array plus one hash pass and one allreduce per array;
// verify adds one read of the file (usually from the page cache) and another hash pass;
// restore is one collective read plus the same hash pass (docs/library.md has figures).
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "weft/base/json.hpp"
#include "weft/core/comm.hpp"
#include "weft/grid/dist_array.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"

namespace weft::io {

namespace detail {
// Collective: content_hash of the dataset's copy of a decomposed array, read back in
// pieces of about piece_bytes per rank (no second array in memory).
template <class T>
std::uint64_t stored_hash(const comm_ref& c, const dataset& d, const grid::decomposition& dec,
                          std::size_t piece_bytes = std::size_t{8} << 20U) {
  const extents& global = dec.global_shape();
  const extents& start = dec.local_start();
  const extents& count = dec.local_shape();
  index_t row = 1;
  for (std::size_t k = 1; k < count.size(); ++k) row *= count[k];
  const index_t rows_per_piece = std::max<index_t>(
      1, static_cast<index_t>(piece_bytes / sizeof(T)) / std::max<index_t>(row, 1));
  const index_t rows = element_count(count) == 0 ? 0 : count[0];
  const index_t pieces = c.allreduce((rows + rows_per_piece - 1) / rows_per_piece, op::max);
  std::vector<T> buffer;
  std::uint64_t h = 0;
  for (index_t p = 0; p < pieces; ++p) {
    box b{start, count};
    b.start[0] += std::min(rows, p * rows_per_piece);
    b.count[0] = std::clamp<index_t>(rows - p * rows_per_piece, 0, rows_per_piece);
    if (rows == 0) b.count[0] = 0;
    buffer.resize(static_cast<std::size_t>(b.size()));
    (void)read_box(d, b, std::span<T>(buffer));
    h += grid::detail::block_hash(global, b.start, b.count, buffer.data());
  }
  return c.allreduce(h, op::sum);
}
}  // namespace detail

struct checkpoint_options {
  std::filesystem::path prefix;      // files are PREFIX.ckpt.NNNNNNNN.h5
  int keep = 2;                      // newest complete checkpoints kept (at least 1)
  std::string fingerprint;           // what a restart must match ("" matches anything)
  json parameters = json::object();  // written with the provenance of every file
  bool verify = true;                // read every array back and check its hash on write
};

class checkpoint {
 public:
  // Local: no file is touched. Throws usage_error for an empty prefix or keep < 1.
  checkpoint(const comm_ref& c, checkpoint_options options);
  checkpoint(const checkpoint&) = delete;
  checkpoint& operator=(const checkpoint&) = delete;
  checkpoint(checkpoint&&) = delete;
  checkpoint& operator=(checkpoint&&) = delete;
  ~checkpoint() = default;

  // Registers state by reference; it must outlive the checkpoint. Every rank registers
  // the same names in the same order. Names are plain words ([A-Za-z0-9_]).
  template <class T, std::size_t N>
  void add(const std::string& name, grid::dist_array<T, N>& a);
  void add(const std::string& name, long long& value);
  void add(const std::string& name, double& value);
  void add(const std::string& name, std::uint64_t& value);

  // Collective: writes the registered state as the checkpoint of `step`, verifies it,
  // then removes checkpoints older than the newest `keep`. Returns the file written.
  // A file that does not read back as written is renamed to FILE.damaged and weft::error
  // (exit code 1) is thrown on every rank; the older checkpoints stay.
  std::filesystem::path write(long long step);
  // Collective: restores the newest good checkpoint into the registered state and returns
  // its step; std::nullopt (state untouched) when there is none. Rank 0 logs which.
  [[nodiscard]] std::optional<long long> restore();

  // Collective: reads the checkpoint of `step` back and checks every registered array's
  // hash against the one written with it; write() calls it unless options.verify is off.
  // Throws like write() (FILE.damaged, weft::error) when one differs.
  void verify(long long step) const;

  // Local: the complete checkpoints under the prefix, newest first, as (step, file).
  [[nodiscard]] std::vector<std::pair<long long, std::filesystem::path>> list() const;
  [[nodiscard]] std::filesystem::path path_of(long long step) const;

 private:
  struct array_entry {
    std::string name;
    std::function<void(const output_file&)> write;
    std::function<void(const file&)> read;
    std::function<std::uint64_t()> hash;                       // collective
    std::function<std::uint64_t(const file&)> stored_hash;     // collective: of the file's copy
    std::function<std::string(const dataset_info&)> mismatch;  // "" when the shape fits
  };
  struct scalar_entry {
    std::string name;
    std::function<json()> get;
    std::function<void(const json&)> set;
  };
  void check_name(const std::string& name) const;
  // Collective: tries one candidate; true when it was restored.
  bool try_restore(const std::filesystem::path& path, long long step);
  // Collective: reads the file just written back and throws when a hash differs.
  void verify(const std::filesystem::path& path, const json& hashes) const;

  MPI_Comm comm_;
  checkpoint_options options_;
  std::vector<array_entry> arrays_;
  std::vector<scalar_entry> scalars_;
};

template <class T, std::size_t N>
void checkpoint::add(const std::string& name, grid::dist_array<T, N>& a) {
  check_name(name);
  const MPI_Comm c = comm_;
  arrays_.push_back(array_entry{
      name,
      [&a, name](const output_file& out) {
        (void)write_block(
            out.create_dataset("/" + name, element_type_of<T>(), a.decomposition().global_shape()),
            a);
      },
      [&a, name](const file& f) { (void)read_block(f.open_dataset("/" + name), a); },
      [&a, c] { return grid::content_hash(comm_ref(c), a); },
      [&a, c, name](const file& f) {
        return detail::stored_hash<T>(comm_ref(c), f.open_dataset("/" + name), a.decomposition());
      },
      [&a](const dataset_info& info) -> std::string {
        if (info.shape != a.decomposition().global_shape()) {
          return "shape " + info.shape_text() + ", expected " +
                 weft::to_string(a.decomposition().global_shape());
        }
        return "";
      }});
}

}  // namespace weft::io
