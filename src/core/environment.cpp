#include "weft/core/environment.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "weft/base/crash_handler.hpp"
#include "weft/base/program.hpp"
#include "weft/core/log.hpp"

namespace weft {

std::string to_string(thread_level level) {
  switch (level) {
    case thread_level::single:
      return "MPI_THREAD_SINGLE";
    case thread_level::funneled:
      return "MPI_THREAD_FUNNELED";
    case thread_level::serialized:
      return "MPI_THREAD_SERIALIZED";
    case thread_level::multiple:
      return "MPI_THREAD_MULTIPLE";
  }
  return "unknown";
}

namespace detail {

bool has_fabric(const std::filesystem::path& root) {
  std::error_code ec;
  const std::filesystem::path ib = root / "sys/class/infiniband";
  if (std::filesystem::is_directory(ib, ec) && !std::filesystem::is_empty(ib, ec)) return true;
  return std::filesystem::exists(root / "dev/ipath", ec) ||
         std::filesystem::exists(root / "dev/hfi1_0", ec);
}

// Open MPI's cm PML runs only over a fabric's own transports (PSM, PSM2, OFI on RDMA
// hardware), so on a node without one it is never chosen, but probing for it took 0.2 s
// of every start (0.30 s to 0.12 s for MPI_Init on 2 ranks). There, unless the user chose
// a PML, it is left out; what is chosen (ob1, or UCX) is what would have been.
void skip_fabric_probes(const std::filesystem::path& root) {
#ifdef OPEN_MPI
  if (std::getenv("OMPI_MCA_pml") == nullptr && !has_fabric(root)) {
    ::setenv("OMPI_MCA_pml", "^cm", 0);
  }
#else
  (void)root;
#endif
}

}  // namespace detail

environment::environment(int& argc, char**& argv, thread_level required) {
  detail::skip_fabric_probes("/");
  int provided = MPI_THREAD_SINGLE;
  const int rc = MPI_Init_thread(&argc, &argv, static_cast<int>(required), &provided);
  if (rc != MPI_SUCCESS) throw error("MPI_Init_thread failed");
  provided_ = static_cast<thread_level>(provided);
  WEFT_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  install_crash_handler(rank);  // after MPI_Init: it replaces the MPI library's handler
  if (provided < static_cast<int>(required)) {
    const std::string message = "the MPI library provides " + to_string(provided_) +
                                " but weft needs " + to_string(required);
    // Every rank sees the same level, so every rank throws: a collective error.
    throw error(message, exit_code::run_failed, true);
  }
}

environment::~environment() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

std::string environment::library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string v(text, static_cast<std::size_t>(length));
  if (const auto nl = v.find_first_of("\r\n"); nl != std::string::npos) v.resize(nl);
  if (const auto comma = v.find(','); comma != std::string::npos) v.resize(comma);
  return v;
}

bool environment::initialized() noexcept {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

namespace {

int world_rank_or_zero(int* size = nullptr) {
  int r = 0, s = 1;
  if (environment::initialized()) {
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &s);
  }
  if (size) *size = s;
  return r;
}

void print_line(const std::string& text) {
  std::string line = program().name + ": " + text + "\n";
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

int report_exception(const std::exception& e) noexcept {
  int size = 1;
  const int rank = world_rank_or_zero(&size);
  int code = static_cast<int>(exit_code::run_failed);
  bool collective = false;
  if (const auto* we = dynamic_cast<const error*>(&e)) {
    code = static_cast<int>(we->code());
    collective = we->collective();
  }
  if (collective) {
    // Every rank holds this error: one line from rank 0, and each rank returns the code.
    if (rank == 0) print_line(e.what());
    return code;
  }
  print_line(size > 1 ? "rank " + std::to_string(rank) + ": " + e.what() : e.what());
  if (environment::initialized() && size > 1) {
    // Other ranks may be waiting in a collective for this one: end them all now.
    MPI_Abort(MPI_COMM_WORLD, code);
  }
  return code;
}

int environment::run(const std::function<int()>& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    return report_exception(e);
  } catch (...) {
    return report_exception(error("unknown exception"));
  }
}

}  // namespace weft
