// The checked layer around MPI calls. The error types and exit codes themselves are
// MPI-free and live in weft/base/error.hpp (included here).
#pragma once

#include <mpi.h>

#include <string>

#include "weft/base/error.hpp"

namespace weft {

// An MPI call returned an error code. Carries the call, where it was made (file:line)
// and MPI_Error_string's text.
// what() is MPI's own message, for users; call() and site() (file:line) for developers.
class mpi_error : public error {
 public:
  mpi_error(int mpi_code, const char* call, const char* file, int line);
  [[nodiscard]] int mpi_code() const noexcept { return mpi_code_; }
  [[nodiscard]] const std::string& call() const noexcept { return call_; }
  [[nodiscard]] const std::string& site() const noexcept { return site_; }

 private:
  int mpi_code_;
  std::string call_;
  std::string site_;
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
