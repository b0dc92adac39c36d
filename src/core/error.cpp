#include "weft/core/error.hpp"

#include <fmt/format.h>

namespace weft {

namespace {
std::string describe(int mpi_code) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(mpi_code, text, &length) != MPI_SUCCESS) {
    fmt::format_to_n(text, sizeof(text) - 1, "MPI error code {}", mpi_code);
  }
  return std::string("MPI error: ") + text;
}
}  // namespace

mpi_error::mpi_error(int mpi_code, const char* call, const char* file, int line)
    : error(describe(mpi_code)),
      mpi_code_(mpi_code),
      call_(call),
      site_(std::string(file) + ":" + std::to_string(line)) {}

}  // namespace weft
