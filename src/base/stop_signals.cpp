#include "weft/base/stop_signals.hpp"

#include <atomic>

namespace weft {

namespace {

std::atomic<int> first_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler needs a lock-free atomic");

// Internal linkage: a C-linkage name could clash with another handler in the program.
void remember(int signo) {
  int none = 0;
  first_signal.compare_exchange_strong(none, signo);
}

}  // namespace

stop_signals::stop_signals(std::initializer_list<int> signals) {
  first_signal.store(0);
  struct sigaction sa {};
  sa.sa_handler = remember;
  sigemptyset(&sa.sa_mask);
  for (const int s : signals) {
    saved old{s, {}};
    if (sigaction(s, &sa, &old.action) == 0) previous_.push_back(old);
  }
}

stop_signals::~stop_signals() {
  for (const auto& old : previous_) sigaction(old.signal, &old.action, nullptr);
}

int stop_signals::received() noexcept {
  return first_signal.load();
}

void stop_signals::reset() noexcept {
  first_signal.store(0);
}

const char* signal_name(int signo) noexcept {
  switch (signo) {
    case SIGTERM:
      return "SIGTERM";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGUSR2:
      return "SIGUSR2";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "a signal";
  }
}

}  // namespace weft
