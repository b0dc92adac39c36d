// watchdog: hang diagnosis. A rank that has spent longer than a timeout inside one
// blocking weft call (a collective, a wait, a blocking receive, a collective HDF5
// transfer) raises an alarm; every rank then prints one line — where it is: inside which
// MPI call (and where weft made it) for how long, or not inside weft's MPI calls at all —
// and the job ends with exit code 1. The straggler is the rank that says it is not inside
// an MPI call.
//
//   weft: hang: rank 0: inside MPI_Barrier (src/core/comm.cpp:63) for 10.0 s; phase compute; on
//   node1 weft: hang: rank 1: not inside a weft MPI call for 10.0 s (last: MPI_Bcast); phase
//   compute; on node1
//
// Off unless a hang_watchdog exists. It runs one thread per rank that polls every 50 ms
// and talks to the other ranks' watchdogs on a communicator of its own, so MPI must run
// at MPI_THREAD_MULTIPLE (environment(argc, argv, thread_level::multiple)); `weft run
// --hang-timeout S` does that. Cost when on: blocking_call is two relaxed atomic stores
// and one clock read per blocking call; when off, the same stores (no clock read).
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "weft/core/blocking.hpp"
#include "weft/core/comm.hpp"

namespace weft {

class hang_watchdog {
 public:
  // Collective over c (duplicates it): starts the watchdog on every rank. Throws
  // usage_error when timeout_s <= 0 and error when MPI does not provide
  // MPI_THREAD_MULTIPLE.
  hang_watchdog(const comm_ref& c, double timeout_s);
  hang_watchdog(const hang_watchdog&) = delete;
  hang_watchdog& operator=(const hang_watchdog&) = delete;
  hang_watchdog(hang_watchdog&&) = delete;
  hang_watchdog& operator=(hang_watchdog&&) = delete;
  // Local: stops the thread.
  ~hang_watchdog();

  [[nodiscard]] double timeout() const noexcept { return timeout_; }

 private:
  void watch();
  comm comm_;
  double timeout_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace weft
