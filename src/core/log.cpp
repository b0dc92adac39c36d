#include "weft/core/log.hpp"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

namespace weft::log {

namespace {

// WEFT_LOG sets the starting configuration: a comma list of a level (error, warn, info,
// debug) and/or "all-ranks", e.g. WEFT_LOG=debug,all-ranks.
struct from_environment {
  level lvl = level::info;
  bool all = false;
  from_environment() {
    const char* v = std::getenv("WEFT_LOG");
    if (!v) return;
    std::string text(v);
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto end = std::min(text.find(',', start), text.size());
      const std::string item = text.substr(start, end - start);
      if (item == "error") lvl = level::error;
      if (item == "warn") lvl = level::warn;
      if (item == "info") lvl = level::info;
      if (item == "debug") lvl = level::debug;
      if (item == "all-ranks") all = true;
      start = end + 1;
    }
  }
};
const from_environment g_initial;
std::atomic<level> g_level{g_initial.lvl};
std::atomic<bool> g_all_ranks{g_initial.all};

int world_rank() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return 0;
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
}  // namespace

void set_level(level l) noexcept {
  g_level = l;
}
level current_level() noexcept {
  return g_level;
}
void set_all_ranks(bool all) noexcept {
  g_all_ranks = all;
}
bool all_ranks() noexcept {
  return g_all_ranks;
}

void write(level l, std::string_view text) {
  if (l > g_level.load()) return;
  const int rank = world_rank();
  // Errors are always worth printing; everything else comes from rank 0 unless asked.
  if (rank != 0 && !g_all_ranks && l != level::error) return;
  std::string line;
  if (g_all_ranks) line = fmt::format("[rank {}] ", rank);
  line.append(text);
  line.push_back('\n');
  const int fd = l <= level::warn ? STDERR_FILENO : STDOUT_FILENO;
  // One write per line keeps lines from different ranks whole.
  [[maybe_unused]] const auto n = ::write(fd, line.data(), line.size());
}

}  // namespace weft::log
