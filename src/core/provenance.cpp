#include "weft/core/provenance.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>

#include "weft/base/program.hpp"
#include "weft/base/utc_time.hpp"
#include "weft/build_info.hpp"
#include "weft/core/environment.hpp"

namespace weft {

namespace {
std::string& stored_command_line() {
  static std::string line;
  return line;
}
}  // namespace

void set_command_line(int argc, const char* const* argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    if (i) line += ' ';
    line += argv[i];
  }
  stored_command_line() = line;
}

const std::string& command_line() {
  return stored_command_line();
}

std::string utc_timestamp() {
  return utc_time();
}

json provenance() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  json p;
  const program_info& prog = program();
  p["software"] = prog.name;
  p["version"] = prog.version;
  p["git_revision"] = prog.revision;
  if (prog.name != "weft") {
    p["weft"] = {{"version", build_info::version}, {"git_revision", build_info::git_revision}};
  }
  p["compiler"] = build_info::compiler;
  p["cxx_flags"] = build_info::cxx_flags;
  p["target_arch"] = build_info::target_arch;
  p["build_type"] = build_info::build_type;
  p["mpi"] = environment::initialized() ? environment::library_version() : std::string("n/a");
  p["hdf5"] = fmt::format("{}.{}.{}", major, minor, release);
  p["host"] = host;
  const char* job = std::getenv("SLURM_JOB_ID");
  p["slurm_job_id"] = job ? json(job) : json(nullptr);
  p["date"] = utc_timestamp();
  p["command_line"] = command_line();
  return p;
}

}  // namespace weft
