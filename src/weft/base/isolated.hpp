// isolated: runs a piece of work in a child process, so that a library that crashes,
// aborts or loops forever on bad input (HDF5 1.10 on some malformed files) takes down
// the child, not the program.
//
//   const auto r = weft::run_isolated([&] { return describe(path); }, {.seconds = 20});
//   if (r.how == weft::isolated_outcome::crashed) ...  // r.signal: SIGSEGV, SIGABRT, ...
//
// The child is a fork() of the caller, without exec: it shares the caller's code and
// state as of the call, runs `work` on its only thread and sends back the string `work`
// returns (or the message of the exception it throws) through a pipe, then ends with
// _exit, so no atexit handler, MPI finalisation or buffered output of the parent runs
// twice. In the child: the default action for SIGSEGV, SIGBUS, SIGILL, SIGFPE and
// SIGABRT (no handler of the parent's, MPI's included, runs there), stdout and stderr on
// /dev/null (the work reports by its return value), an address-space limit of the
// caller's size plus `extra_bytes`, and a wall-clock limit after which the parent kills
// it. `work` must not call MPI or start threads.
//
// Cost: one fork (about 1 ms for a process of a few hundred MiB on these machines), the
// work itself, one pipe read. MPI-free: safe in the launch layer and in tools.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "weft/base/unique_fd.hpp"

namespace weft {

enum class isolated_outcome {
  ok,          // work returned; text is what it returned
  failed,      // work threw; text is the exception's message
  crashed,     // the child died of a signal (signal) or exited without an answer
  timed_out,   // no answer within the time limit: the child was killed
  unavailable  // no child could be started (fork or pipe failed); text says why
};

struct isolation_limits {
  double seconds = 20;                              // wall-clock limit
  std::size_t extra_bytes = std::size_t{4} << 30U;  // address space beyond the caller's
};

struct isolated_result {
  isolated_outcome how = isolated_outcome::ok;
  std::string text;
  int signal = 0;  // crashed: the signal, 0 when the child exited without an answer
};

// Starts `work` in a child now and waits for its answer.
[[nodiscard]] isolated_result run_isolated(const std::function<std::string()>& work,
                                           const isolation_limits& limits = {});

// The same in two halves: the child starts at construction, wait() collects the answer
// (the time limit counts from the start). A task destroyed before wait() kills its child.
// For work that can run while the caller does something else (weft probes inputs while
// MPI initialises).
class isolated_task {
 public:
  isolated_task(const std::function<std::string()>& work, const isolation_limits& limits = {});
  isolated_task(const isolated_task&) = delete;
  isolated_task& operator=(const isolated_task&) = delete;
  isolated_task(isolated_task&&) = delete;
  isolated_task& operator=(isolated_task&&) = delete;
  ~isolated_task();

  // Once: the outcome (unavailable when no child could be started, or on a second call).
  [[nodiscard]] isolated_result wait();

 private:
  int pid_ = -1;
  unique_fd reply_;  // the read end of the child's pipe
  std::chrono::steady_clock::time_point deadline_;
  std::string failure_;
};

}  // namespace weft
