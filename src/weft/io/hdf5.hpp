// The checked layer around HDF5's C API and move-only RAII handles for its objects.
//
// HDF5 1.10 is not thread-safe: only one thread per rank may call it (weft calls it
// outside OpenMP regions). Every handle here must be destroyed before MPI_Finalize
// (weft::environment's destructor); keep them in scopes that end first.
//
// A parallel file is closed collectively (see detail::close_file for the error path).
//
// Errors: quiet_hdf5() switches off HDF5's automatic printing of its error stack (weft
// calls it before opening or creating anything); WEFT_H5_CHECK turns a failed call into
// weft::io::hdf5_error whose message carries the call, file:line and the text of HDF5's
// error stack, on one line.
#pragma once

#include <hdf5.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "weft/core/error.hpp"
#include "weft/core/shape.hpp"

namespace weft::io {

// A failed HDF5 call (exit code 1 unless the caller rethrows it as input_error). what() is
// meant for users: HDF5's own messages, never the C call or a source path; call() and
// site() keep those for developers.
class hdf5_error : public error {
 public:
  explicit hdf5_error(const std::string& message, std::string call = {}, std::string site = {})
      : error(message), call_(std::move(call)), site_(std::move(site)) {}
  [[nodiscard]] const std::string& call() const noexcept { return call_; }
  [[nodiscard]] const std::string& site() const noexcept { return site_; }

 private:
  std::string call_;
  std::string site_;
};

// The HDF5 library's version, e.g. "1.10.8", and whether it was built for MPI-IO.
[[nodiscard]] std::string library_version();
[[nodiscard]] bool library_is_parallel() noexcept;

// Turns off HDF5's automatic error printing for this process (idempotent, cheap).
void quiet_hdf5() noexcept;

// The messages on HDF5's current error stack, outermost first, joined on one line; clears
// the stack. Empty when the stack is empty.
[[nodiscard]] std::string take_error_stack();

namespace detail {
template <class R>
R check_h5(R rc, const char* call, const char* file, int line) {
  if (rc < 0) {
    const std::string stack = take_error_stack();
    throw hdf5_error("HDF5 error: " + (stack.empty() ? std::string("no reason given") : stack),
                     call, std::string(file) + ":" + std::to_string(line));
  }
  return rc;
}
}  // namespace detail

// An owning HDF5 identifier, closed by Close when destroyed. Move-only; moves are
// noexcept; the destructor never throws (a failed close is logged).
template <herr_t (*Close)(hid_t)>
class handle {
 public:
  handle() noexcept = default;
  // Takes ownership of `id` (which must be valid: pass results through WEFT_H5_CHECK).
  explicit handle(hid_t id) noexcept : id_(id) {}
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;
  handle(handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  handle& operator=(handle&& other) noexcept {
    if (this != &other) {
      close_quietly();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~handle() { close_quietly(); }

  [[nodiscard]] hid_t native_handle() const noexcept { return id_; }
  [[nodiscard]] bool valid() const noexcept { return id_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  // Gives up ownership without closing.
  [[nodiscard]] hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }
  // Closes now; throws hdf5_error when HDF5 reports a failure (a file close flushes).
  void close() {
    if (!valid()) return;
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    detail::check_h5(Close(id), "close of an HDF5 object", __FILE__, __LINE__);
  }

 private:
  void close_quietly() noexcept;
  hid_t id_ = H5I_INVALID_HID;
};

namespace detail {
void log_close_failure() noexcept;
}

template <herr_t (*Close)(hid_t)>
void handle<Close>::close_quietly() noexcept {
  if (!valid()) return;
  if (Close(std::exchange(id_, H5I_INVALID_HID)) < 0) detail::log_close_failure();
}

namespace detail {
// H5Fclose, except while an exception unwinds the stack and the file is open with the
// MPI-IO driver: closing such a file is collective, and a rank that fails alone would
// wait there forever. The file is then left to HDF5's own shutdown inside MPI_Finalize
// (reached by every rank after a collective error; a rank-local error ends in MPI_Abort).
herr_t close_file(hid_t id) noexcept;
// Records that `id` was opened with the MPI-IO driver; close_file forgets it. (Asking
// HDF5 instead, H5Fget_access_plist, duplicates the file's communicator: a collective
// call that a rank failing alone would wait in forever.)
hid_t opened_in_parallel(hid_t id);
// Whether file `id` was opened with the MPI-IO driver (as recorded by opened_in_parallel).
bool is_parallel_file(hid_t id);
}  // namespace detail

using dataspace = handle<H5Sclose>;
using datatype = handle<H5Tclose>;  // never wrap a predefined type (H5T_NATIVE_*)
using property_list = handle<H5Pclose>;
using attribute = handle<H5Aclose>;

struct dataset_info;
struct dataset_options;
enum class element_type;
class dataset;
class group;

// What a path inside a file names.
enum class object_kind { missing, group, dataset, other };

// Attributes of a file, group or dataset (members of each; defined in src/io/object.cpp).
// Writing one is collective when the file is open in parallel; it replaces an attribute
// of the same name. Reading is local.
template <class Self>
class attribute_access {
 public:
  void write_attribute(const std::string& name, const std::string& value) const;
  void write_attribute(const std::string& name, const char* value) const {
    write_attribute(name, std::string(value));
  }
  void write_attribute(const std::string& name, double value) const;
  void write_attribute(const std::string& name, long long value) const;
  // The value of one string attribute, or std::nullopt when absent or not a string.
  [[nodiscard]] std::optional<std::string> read_string_attribute(const std::string& name) const;
  // A numeric attribute holding one value, as a double; nullopt when absent or not one number.
  [[nodiscard]] std::optional<double> read_number_attribute(const std::string& name) const;
  // Every attribute as (name, value as text): numbers in full precision, small arrays as
  // "[a, b, ...]", other types by their class name.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> attributes() const;
};

// Look-ups below a file or group (members of both). Paths are relative to the object, or
// absolute from the file's root ("/a/b"). Every look-up checks each link on the way, so a
// missing path is object_kind::missing and never an HDF5 error; soft and external links
// resolve as h5py resolves them. Creating is collective when the file is open in parallel.
template <class Self>
class location_access {
 public:
  [[nodiscard]] object_kind kind_of(const std::string& path) const;
  [[nodiscard]] bool contains(const std::string& path) const {
    return kind_of(path) != object_kind::missing;
  }
  // Throws input_error naming the path when it is missing or not a dataset / group.
  [[nodiscard]] dataset open_dataset(const std::string& path) const;
  [[nodiscard]] group open_group(const std::string& path) const;
  // Creates a dataset (and its missing parent groups); see io::create_dataset.
  [[nodiscard]] dataset create_dataset(const std::string& path, element_type type,
                                       const extents& shape) const;
  [[nodiscard]] dataset create_dataset(const std::string& path, element_type type,
                                       const extents& shape, const dataset_options& options) const;
  // Calls fn(path, kind) for every object below this one, depth first in name order;
  // paths are relative to this object. Local (metadata reads only).
  void visit(const std::function<void(const std::string&, object_kind)>& fn) const;
};

// An open HDF5 file. Move-only; closed when destroyed (collectively for a parallel file).
class file : public handle<detail::close_file>,
             public attribute_access<file>,
             public location_access<file> {
 public:
  using handle<detail::close_file>::handle;
  // Whether the file was opened with the MPI-IO driver (collectively), rather than by each
  // rank on its own (open_file_independently, a serial open). Local.
  [[nodiscard]] bool opened_with_mpi_io() const {
    return detail::is_parallel_file(native_handle());
  }
};

// An open group.
class group : public handle<H5Gclose>,
              public attribute_access<group>,
              public location_access<group> {
 public:
  using handle<H5Gclose>::handle;
};

// An open dataset. Read and write it with io::read_box / write_box / read_block /
// write_block (weft/io/block_io.hpp).
class dataset : public handle<H5Dclose>, public attribute_access<dataset> {
 public:
  using handle<H5Dclose>::handle;
  // Shape, element type, chunks and filters (metadata reads only; local). `path` is used
  // in descriptions and messages.
  [[nodiscard]] dataset_info info(const std::string& path = "") const;
};

}  // namespace weft::io

// Calls an HDF5 function and throws weft::io::hdf5_error when it returns a negative value.
#define WEFT_H5_CHECK(call) ::weft::io::detail::check_h5((call), #call, __FILE__, __LINE__)
