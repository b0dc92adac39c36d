#include "weft/core/datatype.hpp"

#include <utility>

#include "weft/core/log.hpp"

namespace weft {

mpi_datatype::mpi_datatype(mpi_datatype&& other) noexcept
    : native_(std::exchange(other.native_, MPI_DATATYPE_NULL)) {}

mpi_datatype& mpi_datatype::operator=(mpi_datatype&& other) noexcept {
  if (this != &other) {
    mpi_datatype gone(std::exchange(native_, std::exchange(other.native_, MPI_DATATYPE_NULL)));
  }
  return *this;
}

mpi_datatype::~mpi_datatype() {
  if (native_ == MPI_DATATYPE_NULL) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  // After MPI_Finalize the type is gone with the library; freeing it would be an error.
  if (!finalized && MPI_Type_free(&native_) != MPI_SUCCESS) {
    log::warn("weft: MPI_Type_free failed for a derived datatype");
  }
}

}  // namespace weft
