// progress: one reporter for any long loop, in a kernel or a user's program. On a
// terminal it redraws a bar with the rate and the ETA; in a batch log (a file, a pipe,
// a Slurm job) it prints one line per tenth of the work, so logs stay short and
// readable. Only rank 0 of the communicator speaks; the others' update() does nothing.
//
//   weft::progress bar(world, first_step, steps, {.label = "jacobi", .unit = "sweeps"});
//   for (long s = first_step; s < steps; ++s) { ...; bar.update(s + 1); }
//
// Local: no communication (construction reads the rank only). update() costs one clock
// read, and a write at most every 0.2 s (bar) or every tenth (lines).
// WEFT_PROGRESS=bar|lines|off in the environment overrides the choice.
#pragma once

#include <unistd.h>

#include <string>

#include "weft/core/comm.hpp"

namespace weft {

enum class progress_style { automatic, bar, lines, off };

struct progress_options {
  std::string label = "progress";
  std::string unit = "steps";
  progress_style how = progress_style::automatic;
  int fd = STDOUT_FILENO;  // where rank 0 writes
};

class progress {
 public:
  using style = progress_style;
  using options = progress_options;

  progress(const comm_ref& c, long long first, long long total) : progress(c, first, total, {}) {}
  progress(const comm_ref& c, long long first, long long total, options o);

  // `done` of `total` units are finished.
  void update(long long done);
  // Ends a bar's line (call before printing anything else after a stop).
  void interrupted();

  // The style `automatic` resolves to here: a bar only when stdout and stderr are both
  // terminals, TERM is usable and no Slurm batch script runs us (mpirun hands rank 0 a
  // pseudo-terminal for stdout even when its output goes to a file).
  [[nodiscard]] static style detect() noexcept;

 private:
  void say(const std::string& text) const;
  options o_;
  bool speak_;
  long long first_;
  long long total_;
  double start_;
  double last_ = 0;
  long long reported_ = 0;
};

}  // namespace weft
