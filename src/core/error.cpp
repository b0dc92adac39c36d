#include "weft/core/error.hpp"

#include <fmt/format.h>

namespace weft {

namespace {
std::string describe(int mpi_code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(mpi_code, text, &length) != MPI_SUCCESS) {
    fmt::format_to_n(text, sizeof(text) - 1, "MPI error code {}", mpi_code);
  }
  return fmt::format("{} failed at {}:{}: {}", call, file, line, text);
}
}  // namespace

mpi_error::mpi_error(int mpi_code, const char* call, const char* file, int line)
    : error(describe(mpi_code, call, file, line)), mpi_code_(mpi_code) {}

}  // namespace weft
