// weft's error types and the checked layer around MPI calls.
//
// Every failure weft reports is a weft::error carrying an exit code from the table in
// ARCHITECTURE.md (1 run failed, 2 usage, 3 bad input data, 75 stopped on request).
// An error is "collective" when every rank of the world communicator is known to hold
// the same error (the ranks agreed on it, see agree()); the top level then exits
// cleanly on every rank instead of aborting the job.
#pragma once

#include <mpi.h>

#include <stdexcept>
#include <string>

namespace weft {

enum class exit_code : int {
  success = 0,
  run_failed = 1,
  usage = 2,
  bad_input = 3,
  interrupted = 75,
};

class error : public std::runtime_error {
 public:
  explicit error(const std::string& message, exit_code code = exit_code::run_failed,
                 bool collective = false)
      : std::runtime_error(message), code_(code), collective_(collective) {}

  [[nodiscard]] exit_code code() const noexcept { return code_; }
  // True when every rank holds this same error, so no rank is left waiting.
  [[nodiscard]] bool collective() const noexcept { return collective_; }

 private:
  exit_code code_;
  bool collective_;
};

// A bad command line or parameter (exit 2).
class usage_error : public error {
 public:
  explicit usage_error(const std::string& message, bool collective = false)
      : error(message, exit_code::usage, collective) {}
};

// Bad input data: missing file, not HDF5, wrong shape or type (exit 3).
class input_error : public error {
 public:
  explicit input_error(const std::string& message, bool collective = false)
      : error(message, exit_code::bad_input, collective) {}
};

// An MPI call returned an error code. Carries the call, where it was made (file:line)
// and MPI_Error_string's text.
class mpi_error : public error {
 public:
  mpi_error(int mpi_code, const char* call, const char* file, int line);
  [[nodiscard]] int mpi_code() const noexcept { return mpi_code_; }

 private:
  int mpi_code_;
};

namespace detail {
inline void check_mpi(int rc, const char* call, const char* file, int line) {
  if (rc != MPI_SUCCESS) throw mpi_error(rc, call, file, line);
}
}  // namespace detail

}  // namespace weft

// Calls an MPI function and throws weft::mpi_error when it does not return MPI_SUCCESS.
// Our communicators use MPI_ERRORS_RETURN so that this check sees the failure.
#define WEFT_MPI_CHECK(call) ::weft::detail::check_mpi((call), #call, __FILE__, __LINE__)
