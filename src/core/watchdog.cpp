#include "weft/core/watchdog.hpp"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "weft/base/program.hpp"

namespace weft {

namespace {

// Where the main thread of this rank is. Written by the main thread, read by the watchdog.
struct rank_state {
  std::atomic<const char*> call{nullptr};  // the blocking call's text, or null
  std::atomic<const char*> file{nullptr};
  std::atomic<int> line{0};
  std::atomic<const char*> last_call{nullptr};
  std::atomic<double> since{0};  // when the call began, or when the last one ended
  std::atomic<bool> watched{false};
  std::mutex phase_mutex;
  std::string phase;
};

rank_state& state() {
  static rank_state s;
  return s;
}

double clock_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// "MPI_Allreduce" from "MPI_Allreduce(in.data(), ...)".
std::string call_name(const char* text) {
  if (text == nullptr) return "?";
  const char* open = std::strchr(text, '(');
  return open == nullptr ? std::string(text) : std::string(text, open);
}

// The path from the project's top folder on ("src/weft/core/comm.hpp").
std::string short_path(const char* file) {
  if (file == nullptr) return "?";
  std::string f(file);
  for (const char* top : {"/src/", "/kernels/", "/examples/", "/tests/"}) {
    if (const auto at = f.rfind(top); at != std::string::npos) return f.substr(at + 1);
  }
  return f;
}

constexpr int alarm_tag = 7;

}  // namespace

namespace detail {

blocking_call::blocking_call(const char* call, const char* file, int line) noexcept
    : outermost_(state().call.load(std::memory_order_relaxed) == nullptr) {
  if (!outermost_) return;
  auto& s = state();
  s.file.store(file, std::memory_order_relaxed);
  s.line.store(line, std::memory_order_relaxed);
  if (s.watched.load(std::memory_order_relaxed))
    s.since.store(clock_s(), std::memory_order_relaxed);
  s.call.store(call, std::memory_order_release);
}

blocking_call::~blocking_call() {
  if (!outermost_) return;
  auto& s = state();
  s.last_call.store(s.call.load(std::memory_order_relaxed), std::memory_order_relaxed);
  if (s.watched.load(std::memory_order_relaxed))
    s.since.store(clock_s(), std::memory_order_relaxed);
  s.call.store(nullptr, std::memory_order_release);
}

void set_phase(const std::string& phase) {
  auto& s = state();
  // Without a watchdog nobody reads the phase: no lock, no copy.
  if (!s.watched.load(std::memory_order_relaxed)) return;
  const std::lock_guard<std::mutex> lock(s.phase_mutex);
  s.phase = phase;
}

}  // namespace detail

hang_watchdog::hang_watchdog(const comm_ref& c, double timeout_s)
    : comm_(c.dup()), timeout_(timeout_s) {
  if (!(timeout_s > 0)) throw usage_error("the hang timeout must be a positive number of seconds");
  int provided = MPI_THREAD_SINGLE;
  WEFT_MPI_CHECK(MPI_Query_thread(&provided));
  if (provided < MPI_THREAD_MULTIPLE) {
    throw error("the hang watchdog needs MPI initialised at MPI_THREAD_MULTIPLE",
                exit_code::run_failed, true);
  }
  state().since.store(clock_s());
  state().watched.store(true);
  thread_ = std::thread([this] { watch(); });
}

hang_watchdog::~hang_watchdog() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  state().watched.store(false);
}

void hang_watchdog::watch() {
  auto& s = state();
  const MPI_Comm wc = comm_.native_handle();
  const int me = comm_.rank();
  const int size = comm_.size();
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  bool reported = false;
  bool alarmed = false;
  double end_at = 0;
  static int payload = 0;  // alarms carry no data; the buffer must outlive the sends
  const auto report = [&] {
    if (reported) return;
    reported = true;
    const char* call = s.call.load(std::memory_order_acquire);
    const double t = clock_s() - s.since.load(std::memory_order_relaxed);
    std::string phase;
    {
      const std::lock_guard<std::mutex> lock(s.phase_mutex);
      phase = s.phase;
    }
    std::string where =
        call != nullptr ? fmt::format("inside {} ({}:{}) for {:.1f} s", call_name(call),
                                      short_path(s.file.load()), s.line.load(), t)
                        : fmt::format("not inside a weft MPI call for {:.1f} s (last: {})", t,
                                      s.last_call.load() != nullptr ? call_name(s.last_call.load())
                                                                    : std::string("none yet"));
    const std::string line = fmt::format("{}: hang: rank {}: {}{}; on {}\n", program().name, me,
                                         where, phase.empty() ? "" : "; phase " + phase, host);
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, line.data(), line.size());
  };
  while (!stop_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(MPI_ANY_SOURCE, alarm_tag, wc, &flag, &st) == MPI_SUCCESS && flag != 0) {
      int got = 0;
      MPI_Recv(&got, 1, MPI_INT, st.MPI_SOURCE, alarm_tag, wc, MPI_STATUS_IGNORE);
      report();
    }
    const double now_s = clock_s();
    if (!alarmed && s.call.load(std::memory_order_acquire) != nullptr &&
        now_s - s.since.load(std::memory_order_relaxed) > timeout_) {
      alarmed = true;
      for (int r = 0; r < size; ++r) {
        if (r == me) continue;
        MPI_Request req = MPI_REQUEST_NULL;
        if (MPI_Isend(&payload, 1, MPI_INT, r, alarm_tag, wc, &req) == MPI_SUCCESS) {
          MPI_Request_free(&req);
        }
      }
      report();
      end_at = now_s + 2.0;  // time for the other ranks to say where they are
    }
    if (alarmed && now_s >= end_at) {
      const std::string line = fmt::format(
          "{}: hang: rank {} waited more than {:g} s (the hang timeout); ending the job\n",
          program().name, me, timeout_);
      [[maybe_unused]] const auto n = ::write(STDERR_FILENO, line.data(), line.size());
      MPI_Abort(MPI_COMM_WORLD, static_cast<int>(exit_code::run_failed));
    }
  }
}

}  // namespace weft
