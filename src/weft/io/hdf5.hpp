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

#include <string>
#include <utility>

#include "weft/core/error.hpp"

namespace weft::io {

// A failed HDF5 call (exit code 1 unless the caller rethrows it as input_error).
class hdf5_error : public error {
 public:
  explicit hdf5_error(const std::string& message) : error(message) {}
};

// Turns off HDF5's automatic error printing for this process (idempotent, cheap).
void quiet_hdf5() noexcept;

// The messages on HDF5's current error stack, outermost first, joined on one line; clears
// the stack. Empty when the stack is empty.
[[nodiscard]] std::string take_error_stack();

namespace detail {
template <class R>
R check_h5(R rc, const char* call, const char* file, int line) {
  if (rc < 0) {
    std::string text = std::string(call) + " failed at " + file + ":" + std::to_string(line);
    const std::string stack = take_error_stack();
    if (!stack.empty()) text += ": " + stack;
    throw hdf5_error(text);
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
}  // namespace detail

using file = handle<detail::close_file>;
using group = handle<H5Gclose>;
using dataset = handle<H5Dclose>;
using dataspace = handle<H5Sclose>;
using datatype = handle<H5Tclose>;  // never wrap a predefined type (H5T_NATIVE_*)
using property_list = handle<H5Pclose>;
using attribute = handle<H5Aclose>;

}  // namespace weft::io

// Calls an HDF5 function and throws weft::io::hdf5_error when it returns a negative value.
#define WEFT_H5_CHECK(call) ::weft::io::detail::check_h5((call), #call, __FILE__, __LINE__)
