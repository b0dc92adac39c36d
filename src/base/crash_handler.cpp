#include "weft/base/crash_handler.hpp"

#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstring>

#include "weft/base/program.hpp"

namespace weft {

namespace {

constexpr int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
constexpr std::size_t line_size = 256;
// Formatted when installed; the handler only copies and writes them.
char prefix[line_size] = {};
std::size_t prefix_length = 0;
alignas(16) char alternate_stack[64 * 1024];

const char* name_of(int signo) noexcept {
  switch (signo) {
    case SIGSEGV:
      return "SIGSEGV (invalid memory access)";
    case SIGBUS:
      return "SIGBUS (bus error)";
    case SIGILL:
      return "SIGILL (illegal instruction: built for another CPU?)";
    case SIGFPE:
      return "SIGFPE (arithmetic error)";
    case SIGABRT:
      return "SIGABRT (aborted)";
    default:
      return "a fatal signal";
  }
}

void append(char* line, std::size_t& n, const char* text) noexcept {
  while (*text != '\0' && n + 1 < line_size) line[n++] = *text++;
}

void on_fatal_signal(int signo) {
  char line[line_size];
  std::size_t n = 0;
  for (std::size_t i = 0; i < prefix_length; ++i) line[n++] = prefix[i];
  append(line, n, "fatal signal ");
  append(line, n, name_of(signo));
  line[n++] = '\n';
  [[maybe_unused]] const auto w = ::write(STDERR_FILENO, line, n);
  // SA_RESETHAND restored the default action: the signal ends the process as it would
  // have without this handler.
  ::raise(signo);
}

}  // namespace

void install_crash_handler(int rank) noexcept {
  char digits[16];
  std::size_t d = 0;
  if (rank >= 0) {
    unsigned v = static_cast<unsigned>(rank);
    do {
      digits[d++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0 && d < sizeof digits);
  }
  std::size_t n = 0;
  append(prefix, n, program().name.c_str());
  append(prefix, n, ": ");
  if (rank >= 0) {
    append(prefix, n, "rank ");
    while (d > 0 && n + 1 < line_size) prefix[n++] = digits[--d];
    append(prefix, n, ": ");
  }
  prefix_length = n;

  stack_t st{};
  st.ss_sp = alternate_stack;
  st.ss_size = sizeof alternate_stack;
  ::sigaltstack(&st, nullptr);
  for (const int s : fatal_signals) {
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_NODEFER | SA_ONSTACK;
    ::sigaction(s, &sa, nullptr);
  }
}

}  // namespace weft
