// environment: the MPI runtime of one process, from MPI_Init_thread to MPI_Finalize.
//
// Construct exactly one, first thing in main. By default it asks for
// MPI_THREAD_FUNNELED (only the thread that initialised MPI calls it, which is what
// OpenMP code with MPI outside parallel regions needs) and throws if the library gives
// less than asked. A process that will run one thread only may ask for
// level_for_threads(1) == MPI_THREAD_SINGLE instead: with OpenMPI 4.1 a FUNNELED process
// pays about 0.03 us more per small message on shared memory (docs/benchmarks.md). The world
// communicator gets MPI_ERRORS_RETURN so that weft's checks turn failures into exceptions.
// Destruction finalises MPI; anything that holds MPI or HDF5 handles must be destroyed before.
//
// run() is the top level every weft program should use: it runs the body, and when an
// exception escapes on any rank it prints "rank R: message" once and ends every rank
// promptly with the error's exit code (a collective error exits cleanly; any other is
// followed by MPI_Abort so no rank can be left waiting in a collective).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "weft/core/comm.hpp"

namespace weft {

enum class thread_level : int {
  single = MPI_THREAD_SINGLE,
  funneled = MPI_THREAD_FUNNELED,
  serialized = MPI_THREAD_SERIALIZED,
  multiple = MPI_THREAD_MULTIPLE,
};

std::string to_string(thread_level level);

class environment {
 public:
  environment(int& argc, char**& argv, thread_level required = thread_level::funneled);
  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;
  environment(environment&&) = delete;
  environment& operator=(environment&&) = delete;
  ~environment();

  [[nodiscard]] thread_level provided() const noexcept { return provided_; }
  // The least level a process running `threads` OpenMP threads per rank needs, with MPI
  // called from the main thread only: SINGLE for one thread, FUNNELED otherwise.
  [[nodiscard]] static constexpr thread_level level_for_threads(int threads) noexcept {
    return threads > 1 ? thread_level::funneled : thread_level::single;
  }
  [[nodiscard]] static comm_ref world() noexcept { return comm_ref(MPI_COMM_WORLD); }
  // The MPI library's own version string (MPI_Get_library_version), first line.
  [[nodiscard]] static std::string library_version();
  [[nodiscard]] static bool initialized() noexcept;

  // Runs `body` and turns an escaping exception into one message and a prompt exit of
  // every rank (see the header comment). Returns the process exit code.
  static int run(const std::function<int()>& body) noexcept;

 private:
  thread_level provided_ = thread_level::single;
};

// Prints an escaped exception once and returns its exit code. A collective error is
// printed by rank 0 only; any other is printed as "rank R: message" and, with more than
// one rank, followed by MPI_Abort with the error's exit code. Used by run().
int report_exception(const std::exception& e) noexcept;

namespace detail {
// Whether the node whose file system starts at `root` has an RDMA fabric's devices
// (InfiniBand, Omni-Path, RoCE, EFA under sys/class/infiniband; PSM's adapters in dev/).
[[nodiscard]] bool has_fabric(const std::filesystem::path& root);
// Open MPI only: sets OMPI_MCA_pml=^cm (not to probe for the fabric-only cm PML) when the
// node at `root` has no fabric and the user has chosen no PML. Before MPI_Init.
void skip_fabric_probes(const std::filesystem::path& root);
}  // namespace detail

}  // namespace weft
