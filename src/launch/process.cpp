#include "launch/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>

#include "weft/base/stop_signals.hpp"
#include "weft/base/unique_fd.hpp"

namespace weft::launch {

namespace {

std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : overrides) env[k] = v;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

void write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace

process_result run_process(const std::vector<std::string>& argv, const process_options& options) {
  if (argv.empty()) throw std::invalid_argument("run_process: empty argv");
  const auto env = child_environment(options.environment);
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  unique_fd log;
  if (!options.log.empty()) {
    log = unique_fd::open(options.log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!log) {
      throw std::runtime_error(options.log + ": cannot write: " + std::strerror(errno));
    }
  }
  auto [output, child_output] = unique_fd::pipe();
  if (!output) {
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  // SIGINT/SIGTERM to the launcher stop the child's process group instead of orphaning it.
  const stop_signals stop({SIGINT, SIGTERM});
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::setpgid(0, 0);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGINT, &dfl, nullptr);
    sigaction(SIGTERM, &dfl, nullptr);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(child_output.get(), STDOUT_FILENO);
    ::dup2(child_output.get(), STDERR_FILENO);
    ::execvpe(cargv[0], cargv.data(), cenv.data());
    const char* what = "weft job: cannot start ";
    write_all(STDERR_FILENO, what, std::strlen(what));
    write_all(STDERR_FILENO, cargv[0], std::strlen(cargv[0]));
    write_all(STDERR_FILENO, "\n", 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so that killpg works before the child runs
  child_output.reset();

  process_result result;
  using clock = std::chrono::steady_clock;
  const auto deadline = options.time_limit_s > 0
                            ? start + std::chrono::seconds(options.time_limit_s)
                            : clock::time_point::max();
  clock::time_point kill_at{};
  bool stop_sent = false;  // limit_signal sent, SIGTERM not yet
  bool term_sent = false;
  bool kill_sent = false;
  bool pipe_open = true;
  bool exited = false;
  int status = 0;
  clock::time_point exited_at{};
  char buffer[8192];
  while (true) {
    if (!exited) {
      const pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        exited = true;
        exited_at = clock::now();
      }
    }
    if (exited && (!pipe_open || clock::now() - exited_at > std::chrono::seconds(2))) break;
    const auto now = clock::now();
    if (!exited && !term_sent) {
      const bool over = now >= deadline;
      const int sig = stop_signals::received();
      if (sig != 0 || (over && !stop_sent)) {
        result.timed_out = result.timed_out || over;
        result.interrupted = sig != 0;
        if (sig == 0 && options.limit_signal != 0) {
          ::kill(pid, options.limit_signal);
          stop_sent = true;
        } else {
          ::killpg(pid, SIGTERM);
          term_sent = true;
        }
        kill_at = now + std::chrono::seconds(options.grace_s);
      }
    }
    if (!exited && stop_sent && !term_sent && now >= kill_at) {
      ::killpg(pid, SIGTERM);
      term_sent = true;
      kill_at = now + std::chrono::seconds(options.grace_s);
    }
    if (!exited && term_sent && !kill_sent && now >= kill_at) {
      ::killpg(pid, SIGKILL);
      kill_sent = true;
    }
    if (!pipe_open) {
      ::usleep(20000);
      continue;
    }
    pollfd p{output.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready <= 0) continue;
    const ssize_t n = ::read(output.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      pipe_open = false;
      continue;
    }
    const auto len = static_cast<std::size_t>(n);
    if (log) write_all(log.get(), buffer, len);
    if (options.echo) write_all(STDOUT_FILENO, buffer, len);
    if (options.capture) result.output.append(buffer, len);
  }
  output.reset();
  log.reset();
  // Whatever is left of the group (ranks that outlived their mpirun) goes too.
  ::killpg(pid, SIGKILL);
  result.seconds = std::chrono::duration<double>(clock::now() - start).count();
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

}  // namespace weft::launch
