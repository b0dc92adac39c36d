// HDF5 datasets: the element types weft writes, describing a dataset, opening an input
// dataset with every check a reader of untrusted files needs, and creating datasets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/core/comm.hpp"
#include "weft/core/shape.hpp"
#include "weft/io/file.hpp"
#include "weft/io/hdf5.hpp"

namespace weft::io {

// The element types weft writes (read: any HDF5 integer or float type, converted).
enum class element_type { f32, f64, i32, i64, u8, u64 };

// "f32", "f64", "i32", "i64", "u8", "u64"; throws usage_error naming `option` otherwise.
[[nodiscard]] element_type parse_element_type(const std::string& text, const std::string& option);
[[nodiscard]] std::string to_string(element_type t);
// Bytes per element.
[[nodiscard]] std::size_t size_of(element_type t);
// The element type of an arithmetic C++ type weft writes.
template <class T>
constexpr element_type element_type_of() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, float>)
    return element_type::f32;
  else if constexpr (std::is_same_v<U, double>)
    return element_type::f64;
  else if constexpr (std::is_same_v<U, std::int32_t>)
    return element_type::i32;
  else if constexpr (std::is_same_v<U, std::int64_t>)
    return element_type::i64;
  else if constexpr (std::is_same_v<U, std::uint8_t>)
    return element_type::u8;
  else if constexpr (std::is_same_v<U, std::uint64_t>)
    return element_type::u64;
  else
    static_assert(sizeof(U) == 0, "weft writes f32, f64, i32, i64, u8 and u64 elements");
}
// Calls f(std::type_identity<T>{}) with the C++ type T of element type t, and returns
// what it returns: one generic lambda in place of a switch over the six types.
template <class F>
decltype(auto) visit_element_type(element_type t, F&& f) {
  switch (t) {
    case element_type::f32:
      return std::forward<F>(f)(std::type_identity<float>{});
    case element_type::f64:
      return std::forward<F>(f)(std::type_identity<double>{});
    case element_type::i32:
      return std::forward<F>(f)(std::type_identity<std::int32_t>{});
    case element_type::i64:
      return std::forward<F>(f)(std::type_identity<std::int64_t>{});
    case element_type::u8:
      return std::forward<F>(f)(std::type_identity<std::uint8_t>{});
    case element_type::u64:
      break;
  }
  return std::forward<F>(f)(std::type_identity<std::uint64_t>{});
}
// The little-endian file type, and the native memory type, of an element type.
[[nodiscard]] hid_t file_type(element_type t);
[[nodiscard]] hid_t memory_type(element_type t);

// The predefined native HDF5 type of an arithmetic C++ type (not to be closed).
template <class T>
hid_t native_type() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, float>)
    return H5T_NATIVE_FLOAT;
  else if constexpr (std::is_same_v<U, double>)
    return H5T_NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<U, std::int8_t>)
    return H5T_NATIVE_INT8;
  else if constexpr (std::is_same_v<U, std::uint8_t>)
    return H5T_NATIVE_UINT8;
  else if constexpr (std::is_same_v<U, std::int16_t>)
    return H5T_NATIVE_INT16;
  else if constexpr (std::is_same_v<U, std::uint16_t>)
    return H5T_NATIVE_UINT16;
  else if constexpr (std::is_same_v<U, std::int32_t>)
    return H5T_NATIVE_INT32;
  else if constexpr (std::is_same_v<U, std::uint32_t>)
    return H5T_NATIVE_UINT32;
  else if constexpr (std::is_same_v<U, std::int64_t>)
    return H5T_NATIVE_INT64;
  else if constexpr (std::is_same_v<U, std::uint64_t>)
    return H5T_NATIVE_UINT64;
  else
    static_assert(sizeof(U) == 0, "no HDF5 native type for this C++ type");
}

// A value that stands for "no data" in a dataset, and where it was declared.
struct fill_value {
  double value = 0;
  std::string source;  // "HDF5 fill value", "_FillValue", "missing_value"
};

// A leaf member of a compound: its name as FILE:/path#field selects it (nested members
// joined by '.') and its type as data info shows it ("float64 big-endian", "string").
struct field_info {
  std::string name;
  std::string type;
};

// What a dataset is: shape, element type, storage.
struct dataset_info {
  std::string path;
  extents shape;
  H5T_class_t type_class = H5T_NO_CLASS;
  std::size_t type_size = 0;
  bool is_signed = false;
  bool big_endian = false;
  std::string type_text;             // "float64", "int16 big-endian", "string", "compound", ...
  extents chunk;                     // empty when not chunked
  std::vector<std::string> filters;  // "deflate(4)", "shuffle", ...
  // Values that mark missing data: the fill value of the dataset's creation properties
  // when one was set (h5py's fillvalue=, netCDF-4), and the netCDF/CF attributes
  // _FillValue and missing_value (one value or several), as doubles. Numeric datasets only.
  std::vector<fill_value> fills;
  // Of a compound: every leaf member, numeric or not.
  std::vector<field_info> fields;
  [[nodiscard]] bool floating() const noexcept { return type_class == H5T_FLOAT; }
  // Integers, floats and enums (read as their integer values).
  [[nodiscard]] bool numeric() const noexcept {
    return type_class == H5T_INTEGER || type_class == H5T_FLOAT || type_class == H5T_ENUM;
  }
  [[nodiscard]] index_t size() const noexcept;
  [[nodiscard]] std::string shape_text() const;  // "8192x8192", "scalar"
};

// Local: describes an open dataset (metadata reads only).
[[nodiscard]] dataset_info describe(hid_t dataset, const std::string& path);

// Local: checks, with the default (POSIX) driver, that ref names a readable numeric
// dataset of 1 to max_axes axes, and describes it. Throws input_error with one line
// naming FILE:/path for: a missing file, a folder, a file that is not HDF5, a truncated
// or damaged file, a missing path, a group (or other object) instead of a dataset, a
// type that is not integer, float or enum (string, opaque, ...), an empty dataset, too
// many axes, or contiguous data that extends past the end of the file. A scalar dataset
// reads as one element (shape 1). A compound dataset needs ref.field naming a numeric
// member (nested members through inner compounds); the info then describes that field
// (type_class, type_size, type_text "float64, field pos.x of a compound").
[[nodiscard]] dataset_info check_input(const dataset_ref& ref, int max_axes = 3);

// The metadata probe. Debian's HDF5 1.10.8 crashes, aborts or loops forever inside its
// own metadata code on some malformed files, and no process that calls it can be safe
// from that. So an input's metadata are read first in a child process
// (weft/base/isolated.hpp) with a time and a memory limit: check_input runs its checks
// there, and a crash, abort, hang or limit becomes one input_error (exit 3):
//   FILE: damaged HDF5 file: the HDF5 library failed reading its metadata (SIGSEGV)
// `weft data info` works the same way. The probe is on unless WEFT_PROBE=off is in the
// environment or set_probe(false) was called (trusted input; `--trust-input`); its time
// limit is WEFT_PROBE_SECONDS (default 20). Cost: docs/datasets.md#the-metadata-probe.
struct probe_settings {
  bool enabled = true;
  double seconds = 20;
};
[[nodiscard]] probe_settings probe();
void set_probe(bool enabled);
// Starts the probe of an input now, in the background; check_input of the same file
// (unchanged since) collects its verdict instead of probing again. The weft command calls
// it for every FILE:/path argument before MPI starts, so the probe runs while MPI
// initialises and costs the run nothing.
void probe_ahead(const dataset_ref& ref);
// Runs `work` (which reads metadata of `file` with HDF5 and returns text) in the probe
// and returns its text; an input_error `work` throws comes back as the same input_error.
// Throws input_error naming `file` when the child crashed or ran out of time. With the
// probe off, runs `work` in this process.
[[nodiscard]] std::string probed(const std::string& file, const std::function<std::string()>& work);

// Any number of axes HDF5 allows (H5S_MAX_RANK): for readers that stream a dataset along
// its first axis whatever its rank (netCDF-4's time x level x lat x lon, say).
inline constexpr int any_axes = 32;

// An input dataset opened over a communicator. Members close in reverse order.
struct input {
  file f;
  dataset d;
  dataset_info info;               // a scalar dataset has shape {1} here: it reads as one element
  std::vector<std::string> field;  // the compound member read, if any (dataset_ref::field)
  // The memory type that reads elements (or the selected field) as T: T's native type, or
  // a compound of the field alone, which HDF5 fills from each element by member name.
  template <class T>
  [[nodiscard]] datatype memory_type() const {
    return field_type(field, native_type<T>());
  }
};

// The memory type holding only `field` (outer to inner member names) of a compound, as
// `native` (a predefined type such as H5T_NATIVE_DOUBLE); a copy of `native` without one.
[[nodiscard]] datatype field_type(const std::vector<std::string>& field, hid_t native);

// How an input's elements will be read: through HDF5 with collective reads, or by
// mapping the file where the dataset allows it (slab_reader::use_direct).
enum class input_reads { collective, mapped_where_possible };

// Collective over c: rank 0 runs check_input; when it fails every rank throws the same
// input_error (exit 3) so every rank exits cleanly; otherwise every rank opens the file
// with MPI-IO and the dataset. With input_reads::mapped_where_possible, when every rank
// finds the dataset mappable (mappable_offset) the file is opened without MPI-IO instead
// (open_file_independently), and any block read through it is independent. A field
// selection (FILE:/table#x) is accepted only with `fields` (the reader reads through
// memory_type(), as slab_reader does); otherwise it is a usage error naming the input.
[[nodiscard]] input open_input(const comm_ref& c, const dataset_ref& ref, int max_axes = 3,
                               bool fields = false, input_reads reads = input_reads::collective);

// Local: the byte offset in its file of dataset d's elements when they can be read by
// mapping the file (stored contiguously, unfiltered, as native doubles, at an offset a
// multiple of 8, at least one element, and WEFT_DIRECT_READ not "off"); -1 otherwise.
[[nodiscard]] long long mappable_offset(hid_t d);

struct dataset_options {
  extents chunk;     // empty: contiguous (chunked anyway when compressing)
  int compress = 0;  // gzip level 0-9; 0: none
};

// Collective over the file's communicator: creates a dataset of `shape` (and its missing
// parent groups). Chunk sizes are clamped to the shape; compressing without a chunk shape
// picks chunks of about 1 MiB. Space is allocated without fill values: write every
// element. Throws usage_error for a bad chunk shape or level, hdf5_error otherwise.
[[nodiscard]] dataset create_dataset(hid_t where, const std::string& path, element_type type,
                                     const extents& shape, const dataset_options& options = {});
[[nodiscard]] dataset create_dataset(hid_t where, const std::string& path, hid_t file_type,
                                     const extents& shape, const dataset_options& options = {});

}  // namespace weft::io
