// stop_signals: catch the signals that ask a program to stop (SIGTERM from a scheduler or
// `kill`, SIGUSR1 from Slurm's `--signal`, SIGINT from a terminal) and remember the first
// one, instead of dying at once.
//
// Scoped: the constructor installs the handlers, the destructor puts the previous ones
// back. The handler only stores the signal number in a lock-free atomic (async-signal-
// safe); the program asks received() at a point where stopping is safe. One process-wide
// record: two overlapping stop_signals share it. Local to the process, free of MPI; the
// library's collective agreement on a stop is weft/core/stop.hpp.
#pragma once

#include <csignal>
#include <initializer_list>
#include <vector>

namespace weft {

class stop_signals {
 public:
  explicit stop_signals(std::initializer_list<int> signals = {SIGTERM, SIGUSR1});
  stop_signals(const stop_signals&) = delete;
  stop_signals& operator=(const stop_signals&) = delete;
  stop_signals(stop_signals&&) = delete;
  stop_signals& operator=(stop_signals&&) = delete;
  ~stop_signals();

  // The first stop signal received since construction (or reset()), or 0.
  [[nodiscard]] static int received() noexcept;
  // Forgets a received signal.
  static void reset() noexcept;

 private:
  struct saved {
    int signal;
    struct sigaction action;
  };
  std::vector<saved> previous_;
};

// "SIGTERM", "SIGUSR1", ... ("signal N" for others).
[[nodiscard]] const char* signal_name(int signo) noexcept;

}  // namespace weft
