#include "weft/base/isolated.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

namespace weft {

namespace {

// The caller's address-space size in bytes (/proc/self/statm's first field), 0 if unknown.
std::size_t address_space() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long pages = 0;
  const int got = std::fscanf(f, "%lu", &pages);
  std::fclose(f);
  return got == 1 ? pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

void write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

[[noreturn]] void child(int out, const std::function<std::string()>& work,
                        const isolation_limits& limits, std::size_t base) {
  for (const int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGPIPE}) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(s, &dfl, nullptr);
  }
  const int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) {
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
  }
  if (base > 0) {
    const rlimit lim{base + limits.extra_bytes, base + limits.extra_bytes};
    ::setrlimit(RLIMIT_AS, &lim);
  }
  std::string reply;
  try {
    reply = "O" + work();
  } catch (const std::exception& e) {
    reply = std::string("E") + e.what();
  } catch (...) {
    reply = "Eunknown error";
  }
  // Framed by its length, so the parent need not wait for the end of file (the child's
  // exit, which unmaps a copy of the whole process and takes milliseconds).
  const std::uint64_t n = reply.size();
  char head[sizeof n];
  std::memcpy(head, &n, sizeof n);
  write_all(out, head, sizeof head);
  write_all(out, reply.data(), reply.size());
  ::_exit(0);
}

// Children that answered and were left to exit on their own; reaped without waiting.
std::vector<pid_t> exited;

void reap_exited() {
  std::erase_if(exited, [](pid_t pid) {
    int status = 0;
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    return got == pid || (got < 0 && errno == ECHILD);
  });
}

// A framed reply: 8 bytes of length, then that many bytes (a kind letter and text).
bool complete(const std::string& reply) {
  if (reply.size() < 8) return false;
  std::uint64_t n = 0;
  std::memcpy(&n, reply.data(), sizeof n);
  return n >= 1 && reply.size() == 8 + n;
}

}  // namespace

isolated_task::isolated_task(const std::function<std::string()>& work,
                             const isolation_limits& limits) {
  reap_exited();
  auto [from_child, to_parent] = unique_fd::pipe();
  if (!from_child) {
    failure_ = std::string("cannot create a pipe: ") + std::strerror(errno);
    return;
  }
  const std::size_t base = address_space();
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t pid = ::fork();
  if (pid < 0) {
    failure_ = std::string("cannot start a process: ") + std::strerror(errno);
    return;
  }
  if (pid == 0) {
    from_child.reset();
    child(to_parent.get(), work, limits, base);
  }
  to_parent.reset();
  pid_ = pid;
  reply_ = std::move(from_child);
  using clock = std::chrono::steady_clock;
  deadline_ =
      clock::now() + std::chrono::duration_cast<clock::duration>(
                         std::chrono::duration<double>(limits.seconds > 0 ? limits.seconds : 1e9));
}

isolated_task::~isolated_task() {
  reply_.reset();
  if (pid_ > 0) {
    // Never waited for (a probe nobody collected): end it now. Not left in `exited`,
    // which may already be gone when this runs during the program's exit.
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

isolated_result isolated_task::wait() {
  isolated_result r;
  if (pid_ <= 0) {
    r.how = isolated_outcome::unavailable;
    r.text = failure_.empty() ? "already waited for" : failure_;
    return r;
  }
  using clock = std::chrono::steady_clock;
  std::string reply;
  bool timed_out = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{reply_.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(reply_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of file: the child is done or dead
    reply.append(buffer, static_cast<std::size_t>(n));
    if (complete(reply)) break;
  }
  reply_.reset();
  const pid_t pid = pid_;
  pid_ = -1;
  if (complete(reply)) {
    // The answer is in; the child is exiting. Reap it later rather than wait for that.
    exited.push_back(pid);
    r.how = reply[8] == 'O' ? isolated_outcome::ok : isolated_outcome::failed;
    r.text = reply.substr(9);
    return r;
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    r.how = isolated_outcome::timed_out;
  } else {
    r.how = isolated_outcome::crashed;
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  }
  return r;
}

isolated_result run_isolated(const std::function<std::string()>& work,
                             const isolation_limits& limits) {
  isolated_task task(work, limits);
  return task.wait();
}

}  // namespace weft
