// blocking: how weft marks the blocking MPI and collective I/O calls it makes, so that the
// hang watchdog (weft/core/watchdog.hpp) can say where each rank is. Internal to weft.
#pragma once

#include <string>

#include "weft/core/error.hpp"

namespace weft {

namespace detail {
// Marks the calling (main) thread as inside a blocking MPI or collective I/O call for its
// lifetime. Nested marks keep the outermost. `call` and `file` must be string literals.
class blocking_call {
 public:
  blocking_call(const char* call, const char* file, int line) noexcept;
  blocking_call(const blocking_call&) = delete;
  blocking_call& operator=(const blocking_call&) = delete;
  blocking_call(blocking_call&&) = delete;
  blocking_call& operator=(blocking_call&&) = delete;
  ~blocking_call();

 private:
  bool outermost_;
};

// The phase a rank is in, as its phase_timer names it ("compute", "io", ...).
void set_phase(const std::string& phase);
}  // namespace detail

}  // namespace weft

// Runs a blocking MPI call, marked for the hang watchdog, through WEFT_MPI_CHECK.
#define WEFT_MPI_BLOCKING(call)                                                         \
  do {                                                                                  \
    const ::weft::detail::blocking_call weft_blocking_call_(#call, __FILE__, __LINE__); \
    WEFT_MPI_CHECK(call);                                                               \
  } while (0)
