// stop: a stop request agreed by every rank — the library's answer to "the scheduler will
// kill this job soon" (Slurm's `--signal=B:USR1@120`, a `scancel`, a `kill`).
//
// A stop_request catches SIGTERM and SIGUSR1 on every rank (weft/base/stop_signals.hpp).
// At each step boundary the program calls agreed(), a collective that tells every rank
// the same thing: whether any rank received one. The usual answer is to write a
// checkpoint and end with stopped() — exit code 75, which `weft job` and Slurm scripts
// read as "rerun to resume":
//
//   weft::stop_request stop(world);
//   for (long step = first; step < steps; ++step) {
//     advance();
//     if (stop.agreed()) { checkpoint.write(step + 1); stop.stopped(step + 1, steps); }
//   }
//
// Cost: agreed() is one MPI_Allreduce of one int per call.
#pragma once

#include <csignal>
#include <initializer_list>
#include <string>

#include "weft/base/stop_signals.hpp"
#include "weft/core/comm.hpp"

namespace weft {

class stop_request {
 public:
  explicit stop_request(const comm_ref& c, std::initializer_list<int> signals = {SIGTERM, SIGUSR1});

  // Collective over the communicator: the signal any rank received (the largest signal
  // number when several did), or 0. Every rank gets the same value.
  [[nodiscard]] int agreed();
  // Local: the signal this rank received, or 0.
  [[nodiscard]] static int local() noexcept { return stop_signals::received(); }

  // Throws the collective error that ends the program with exit code 75, saying what
  // stopped it and where (`done` of `total` steps; `what` names the program).
  [[noreturn]] void stopped(long long done, long long total, const std::string& what,
                            const std::string& resume_hint = "") const;

 private:
  MPI_Comm comm_;
  int agreed_ = 0;  // the last agreed signal
  stop_signals signals_;
};

}  // namespace weft
