// Maps C++ element types onto MPI datatypes.
//
// Arithmetic types map to the matching predefined MPI type, so reductions work on them.
// Any other trivially copyable type (a user's struct) travels as sizeof(T) bytes of
// MPI_BYTE: point-to-point, broadcast, gather/scatter and all-to-all work on it without
// the user declaring anything; reductions need an arithmetic type.
#pragma once

#include <mpi.h>

#include <complex>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace weft {

template <class T>
concept transferable = std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>;

template <class T>
concept reducible = std::is_arithmetic_v<T>;

namespace detail {

template <class T>
inline constexpr bool always_false = false;

// The predefined MPI datatype of an arithmetic T.
template <class T>
MPI_Datatype arithmetic_type() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, bool>)
    return MPI_CXX_BOOL;
  else if constexpr (std::is_same_v<U, char>)
    return MPI_CHAR;
  else if constexpr (std::is_same_v<U, signed char>)
    return MPI_SIGNED_CHAR;
  else if constexpr (std::is_same_v<U, unsigned char>)
    return MPI_UNSIGNED_CHAR;
  else if constexpr (std::is_same_v<U, short>)
    return MPI_SHORT;
  else if constexpr (std::is_same_v<U, unsigned short>)
    return MPI_UNSIGNED_SHORT;
  else if constexpr (std::is_same_v<U, int>)
    return MPI_INT;
  else if constexpr (std::is_same_v<U, unsigned>)
    return MPI_UNSIGNED;
  else if constexpr (std::is_same_v<U, long>)
    return MPI_LONG;
  else if constexpr (std::is_same_v<U, unsigned long>)
    return MPI_UNSIGNED_LONG;
  else if constexpr (std::is_same_v<U, long long>)
    return MPI_LONG_LONG;
  else if constexpr (std::is_same_v<U, unsigned long long>)
    return MPI_UNSIGNED_LONG_LONG;
  else if constexpr (std::is_same_v<U, float>)
    return MPI_FLOAT;
  else if constexpr (std::is_same_v<U, double>)
    return MPI_DOUBLE;
  else if constexpr (std::is_same_v<U, long double>)
    return MPI_LONG_DOUBLE;
  else
    static_assert(always_false<T>, "no predefined MPI datatype for this type");
}

// How a buffer of `count` elements of T is described to MPI.
struct wire {
  MPI_Datatype type;
  int scale;  // MPI elements per T
};

template <transferable T>
constexpr wire wire_of() {
  if constexpr (std::is_arithmetic_v<T>) {
    return {arithmetic_type<T>(), 1};
  } else {
    return {MPI_BYTE, static_cast<int>(sizeof(T))};
  }
}

// Converts an element count to MPI's int count, throwing when it does not fit.
int mpi_count(std::size_t count, int scale);

}  // namespace detail
// An owned, committed MPI datatype (a derived type such as a halo face), freed with
// MPI_Type_free when destroyed (unless MPI is already finalised). Move-only; local.
class mpi_datatype {
 public:
  mpi_datatype() noexcept = default;
  explicit mpi_datatype(MPI_Datatype native) noexcept : native_(native) {}
  mpi_datatype(const mpi_datatype&) = delete;
  mpi_datatype& operator=(const mpi_datatype&) = delete;
  mpi_datatype(mpi_datatype&& other) noexcept;
  mpi_datatype& operator=(mpi_datatype&& other) noexcept;
  ~mpi_datatype();
  [[nodiscard]] MPI_Datatype native_handle() const noexcept { return native_; }

 private:
  MPI_Datatype native_ = MPI_DATATYPE_NULL;
};

}  // namespace weft
