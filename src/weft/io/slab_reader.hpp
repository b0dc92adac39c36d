// slab_reader: streams a dataset through memory in slabs of whole rows (along axis 0).
//
// Each step reads the next slab collectively: the slab's rows are split into contiguous
// blocks over the ranks (block_start/block_count), so each rank holds a contiguous range
// of global row-major indices, [first_index(), first_index() + size()). The number of
// steps depends only on the dataset's shape and the slab size, never on the rank count,
// so every rank takes the same steps. Memory: about slab_mib / ranks MiB per rank.
//
// Read-ahead: the reader keeps two slabs of doubles, current() and one read ahead. Call
// start() once, then per slab: read_ahead() on the thread that may call HDF5 and MPI,
// while other threads work on current() (kernels' share_slab does both), then advance().
//   io::slab_reader reader(world, d, shape, 16, sizeof(double));
//   for (bool more = reader.start(); more; more = reader.advance()) {
//     use(reader.current());          // reader.read_ahead() may run meanwhile
//   }
// The slab's position travels with it (slab::first_index, slab::elements), so reading
// ahead never changes what current() describes. next(buffer) reads without read-ahead.
//
// Direct reads (use_direct): where the dataset is stored contiguously, unfiltered, as
// native doubles, its bytes lie at one known offset in the file, and the reader maps the
// file into memory instead of copying slabs through HDF5: start() and advance() only
// place the slab, its part points into the mapping, and the team brings in each piece
// just before scanning it with read_part() (which also masks missing values), so a scan
// reads the page cache where it lies, without a copy. HDF5 itself is never called from
// two threads. A slab's pages are let go when the reader moves past it.
#pragma once

#include <atomic>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/core/aligned.hpp"
#include "weft/core/comm.hpp"
#include "weft/core/shape.hpp"
#include "weft/core/timer.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"

namespace weft::io {

// A slab in memory: this rank's part of it and where that lies.
struct slab {
  std::span<double> part;         // this rank's elements, row-major (in values, or mapped)
  aligned_vector<double> values;  // what holds them, unless the file is mapped
  index_t first_index = 0;        // global row-major index of part[0]
  index_t elements = 0;           // elements of the whole slab, over all ranks
  io_mode mode = io_mode::collective;
};

class slab_reader {
 public:
  // Slabs hold about `slab_mib` MiB of elements of `element_bytes` each (at least one row).
  // `field`: the compound member to read (input::field); empty reads whole elements.
  slab_reader(const comm_ref& c, const dataset& d, extents shape, double slab_mib,
              std::size_t element_bytes, std::vector<std::string> field = {})
      : dataset_(d.native_handle()),
        shape_(std::move(shape)),
        field_(std::move(field)),
        ranks_(c.size()),
        rank_(c.rank()) {
    row_ = 1;
    for (std::size_t k = 1; k < shape_.size(); ++k) row_ *= shape_[k];
    const auto bytes = static_cast<index_t>(slab_mib * 1024.0 * 1024.0);
    rows_per_slab_ = std::max<index_t>(
        1, bytes / std::max<index_t>(1, row_ * static_cast<index_t>(element_bytes)));
  }

  // Reads `in` (its field, if one was selected) as doubles.
  slab_reader(const comm_ref& c, const input& in, double slab_mib)
      : slab_reader(c, in.d, in.info.shape, slab_mib, sizeof(double), in.field) {}

  slab_reader(const slab_reader&) = delete;
  slab_reader& operator=(const slab_reader&) = delete;
  ~slab_reader();

  // Collective, before start(): switches to direct reads where every rank can make them
  // (contiguous, unfiltered native doubles at an 8-byte-aligned offset, no field, the
  // file long enough, and WEFT_DIRECT_READ not "off"). Returns whether it did, alike on
  // every rank.
  bool use_direct(const comm_ref& c);
  // Whether slabs must be brought in piece by piece with read_part().
  [[nodiscard]] bool direct() const noexcept { return map_ != nullptr; }
  // Direct reads, thread-safe (also while read_ahead() runs): brings elements
  // [begin, begin + count) of current().part into memory (from the page cache or the
  // disk) and masks missing values in them. Throws weft::error if the file cannot be read
  // (it was truncated, say).
  void read_part(index_t begin, index_t count);

  // Collective: reads this rank's part of the next slab into `buffer` (resized), converting
  // to T. Use an aligned_vector (weft/core/aligned.hpp): reads into it are about twice as
  // fast. Returns false, on every rank alike, when the dataset is exhausted.
  template <class T, class Alloc>
  bool next(std::vector<T, Alloc>& buffer) {
    if (!next_block()) return false;
    buffer.resize(static_cast<std::size_t>(block_.size()));
    const double t0 = now();
    const hid_t id = dataset_;
    // The memory type (a compound of the field alone, where one is read): built once for
    // double, the type every kernel streams.
    datatype built;
    hid_t type = H5I_INVALID_HID;
    if constexpr (std::is_same_v<T, double>) {
      if (!double_type_) double_type_ = field_type(field_, native_type<double>());
      type = double_type_.native_handle();
    } else {
      built = field_type(field_, native_type<T>());
      type = built.native_handle();
    }
    mode_ = detail::transfer(
        id, type, buffer.data(),
        {block_.count, extents(shape_.size(), 0), block_.count, block_.start, {}, {}}, false);
    io_seconds_ += now() - t0;
    next_row_ += slab_rows_;
    return true;
  }

  // Collective: reads the first slab into current(); false (on every rank) when the
  // dataset is empty.
  bool start() {
    ahead_ready_ = false;
    return fill(current_);
  }
  // Collective (call it on one thread per rank): reads the slab after current() into the
  // spare buffer, unless that was done already.
  void read_ahead() {
    if (ahead_ready_) return;
    ahead_more_ = fill(ahead_);
    ahead_ready_ = true;
  }
  // Collective: the slab read ahead (read now when read_ahead() was not called) becomes
  // current(); false, on every rank alike, when the dataset is exhausted.
  bool advance() {
    read_ahead();
    release(current_);
    ahead_ready_ = false;
    std::swap(current_, ahead_);
    return ahead_more_;
  }
  [[nodiscard]] const slab& current() const noexcept { return current_; }

  // Values that mark missing data (dataset_info::fills): from the next slab read on, an
  // element equal to one of them becomes NaN in current() and is counted in masked(); with
  // a NaN among them, NaN elements are counted too. Call before start().
  void set_missing(const std::vector<fill_value>& fills) {
    missing_.clear();
    missing_nan_ = false;
    for (const auto& f : fills) {
      if (f.value != f.value) {
        missing_nan_ = true;
      } else {
        missing_.push_back(f.value);
      }
    }
  }
  // Elements of this rank's slabs so far that held a missing-data value (see set_missing).
  [[nodiscard]] index_t masked() const noexcept { return masked_.load(); }

  [[nodiscard]] const box& block() const noexcept { return block_; }
  [[nodiscard]] index_t first_index() const noexcept { return block_.start[0] * row_; }
  [[nodiscard]] index_t size() const noexcept { return block_.size(); }
  // Elements in the current slab over all ranks.
  [[nodiscard]] index_t slab_elements() const noexcept { return slab_rows_ * row_; }
  [[nodiscard]] index_t rows_per_slab() const noexcept { return rows_per_slab_; }
  [[nodiscard]] io_mode last_mode() const noexcept { return mode_; }
  // Seconds this rank spent in reads so far (direct reads: their thread-seconds divided by
  // the team's size).
  [[nodiscard]] double io_seconds() const noexcept;

 private:
  hid_t dataset_;
  extents shape_;
  std::vector<std::string> field_;
  datatype double_type_;  // the memory type for double, once next<double> built it
  int ranks_;
  int rank_;
  index_t row_ = 1;
  index_t rows_per_slab_ = 1;
  index_t next_row_ = 0;
  index_t slab_rows_ = 0;
  box block_;
  io_mode mode_ = io_mode::collective;
  double io_seconds_ = 0;
  slab current_;
  slab ahead_;
  bool ahead_ready_ = false;
  bool ahead_more_ = false;

  std::vector<double> missing_;
  bool missing_nan_ = false;
  std::atomic<index_t> masked_{0};
  std::atomic<double> direct_seconds_{0};  // thread-seconds in direct reads
  std::string file_;                       // the file's name, for messages
  char* map_ = nullptr;                    // the mapped file (from a page boundary)
  std::size_t map_bytes_ = 0;
  double* mapped_ = nullptr;          // the dataset's first element in the mapping
  int guard_ = -1;                    // crash_handler's slot for the mapping
  std::atomic<bool> populate_{true};  // whether the kernel can populate pages on request

  // Direct reads: advises the kernel about the pages under `part` (madvise).
  void advise(std::span<double> part, int advice) const noexcept;
  // Direct reads: lets go of a slab's pages (they stay in the page cache).
  void release(slab& s) noexcept;

  void mask(double* v, index_t count) {
    if (missing_.empty() && !missing_nan_) return;
    index_t n = 0;
    for (index_t i = 0; i < count; ++i) {
      double& x = v[i];
      bool hit = missing_nan_ && x != x;
      for (const double m : missing_) hit = hit || x == m;
      n += hit ? 1 : 0;
      if (hit) x = std::numeric_limits<double>::quiet_NaN();
    }
    masked_ += n;
  }

  // Places block_ on this rank's part of the next slab; false when there is none.
  bool next_block() {
    if (next_row_ >= shape_[0]) return false;
    slab_rows_ = std::min(rows_per_slab_, shape_[0] - next_row_);
    block_.start.assign(shape_.size(), 0);
    block_.count = shape_;
    block_.start[0] = next_row_ + grid::block_start(slab_rows_, ranks_, rank_);
    block_.count[0] = grid::block_count(slab_rows_, ranks_, rank_);
    return true;
  }

  // Direct reads: where the next slab lies, without reading it.
  bool place(slab& s);

  bool fill(slab& s) {
    if (direct()) {
      if (!place(s)) return false;
    } else {
      if (!next(s.values)) return false;
      s.part = std::span<double>(s.values);
      mask(s.values.data(), static_cast<index_t>(s.values.size()));
    }
    s.first_index = first_index();
    s.elements = slab_elements();
    s.mode = mode_;
    return true;
  }
};

}  // namespace weft::io
