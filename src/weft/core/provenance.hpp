// provenance: what produced a result or a file — software, version, git revision,
// compiler and flags, MPI and HDF5 versions, host, Slurm job id, date, command line.
// Attached to every JSON record and (as attributes) to every HDF5 file weft writes.
#pragma once

#include <string>

#include "weft/base/record.hpp"

namespace weft {

// Remembers the command line for later provenance records (call once from main).
void set_command_line(int argc, const char* const* argv);
[[nodiscard]] const std::string& command_line();

// Local call, no communication. Ranks/threads are added by the caller that knows them.
[[nodiscard]] json provenance();

// ISO 8601 UTC time stamp, e.g. 2026-11-25T13:34:20Z.
[[nodiscard]] std::string utc_timestamp();

}  // namespace weft
