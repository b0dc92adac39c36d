#include "weft/base/crash_handler.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
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

// Guarded mappings: `end` is written last and cleared first, so the handler reads a slot
// whose message is complete whenever it sees an end other than 0.
struct guarded {
  std::atomic<std::uintptr_t> begin{0};
  std::atomic<std::uintptr_t> end{0};
  std::atomic<bool> taken{false};
  int code = 0;
  char message[200] = {};
  std::size_t length = 0;
};
guarded mappings[8];

// The guarded mapping holding `address`, or nullptr.
const guarded* guard_of(const void* address) noexcept {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  for (const guarded& g : mappings) {
    const std::uintptr_t end = g.end.load();
    if (end != 0 && at >= g.begin.load() && at < end) return &g;
  }
  return nullptr;
}

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

void on_fatal_signal(int signo, siginfo_t* info, void* /*context*/) {
  char line[line_size];
  std::size_t n = 0;
  for (std::size_t i = 0; i < prefix_length; ++i) line[n++] = prefix[i];
  const guarded* g = signo == SIGBUS && info != nullptr ? guard_of(info->si_addr) : nullptr;
  if (g != nullptr) {
    for (std::size_t i = 0; i < g->length && n + 1 < line_size; ++i) line[n++] = g->message[i];
    line[n++] = '\n';
    [[maybe_unused]] const auto w = ::write(STDERR_FILENO, line, n);
    ::_exit(g->code);
  }
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
    sa.sa_sigaction = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER | SA_ONSTACK;
    ::sigaction(s, &sa, nullptr);
  }
}

int guard_mapping(const void* begin, std::size_t bytes, const char* message,
                  exit_code code) noexcept {
  for (int slot = 0; slot < static_cast<int>(std::size(mappings)); ++slot) {
    guarded& g = mappings[slot];
    if (g.taken.exchange(true)) continue;
    g.code = static_cast<int>(code);
    g.length = 0;
    for (const char* c = message; *c != '\0' && g.length < sizeof g.message; ++c) {
      g.message[g.length++] = *c == '\n' ? ' ' : *c;
    }
    const auto at = reinterpret_cast<std::uintptr_t>(begin);
    g.begin = at;
    g.end = at + bytes;
    return slot;
  }
  return -1;
}

void unguard_mapping(int slot) noexcept {
  if (slot < 0 || slot >= static_cast<int>(std::size(mappings))) return;
  guarded& g = mappings[slot];
  g.end = 0;
  g.begin = 0;
  g.taken = false;
}

}  // namespace weft
