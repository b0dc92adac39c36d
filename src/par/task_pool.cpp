#include "weft/par/task_pool.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

namespace weft::par {

task_error::task_error(std::size_t index, int rank, const std::string& message)
    : error("task " + std::to_string(index) + " failed on rank " + std::to_string(rank) + ": " +
                message,
            exit_code::run_failed, true),
      index_(index),
      rank_(rank),
      message_(message) {}

task_pool::task_pool(const comm_ref& c, pool_options options) : comm_(c.dup()), options_(options) {
  if (options_.min_chunk == 0) options_.min_chunk = 1;
}

namespace {

constexpr int request_tag = 1;
constexpr int reply_tag = 2;
constexpr std::uint64_t none = std::numeric_limits<std::uint64_t>::max();

// The chunks a rank holds; its threads take single task indices from the front.
class local_queue {
 public:
  void push(std::uint64_t begin, std::uint64_t end) {
    const std::lock_guard<std::mutex> lock(mutex_);
    ranges_.emplace_back(begin, end);
    size_.fetch_add(end - begin, std::memory_order_release);
  }
  std::optional<std::uint64_t> take() {
    if (size_.load(std::memory_order_acquire) == 0) return std::nullopt;
    const std::lock_guard<std::mutex> lock(mutex_);
    if (ranges_.empty()) return std::nullopt;
    auto& front = ranges_.front();
    const std::uint64_t i = front.first++;
    if (front.first == front.second) ranges_.pop_front();
    size_.fetch_sub(1, std::memory_order_release);
    return i;
  }
  [[nodiscard]] std::uint64_t size() const { return size_.load(std::memory_order_acquire); }

 private:
  std::mutex mutex_;
  std::deque<std::pair<std::uint64_t, std::uint64_t>> ranges_;
  std::atomic<std::uint64_t> size_{0};
};

// One thread's figures, padded so threads do not share a cache line.
struct alignas(64) thread_figures {
  double busy = 0;
  std::uint64_t tasks = 0;
  std::uint64_t first_failure = none;
  std::string failure_message;
};

// Spins (yielding) for a while, then sleeps in short steps: idle threads on a busy,
// possibly oversubscribed machine should leave the cores to working threads.
class backoff {
 public:
  void pause() {
    if (++spins_ < 200) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }
  void reset() { spins_ = 0; }

 private:
  int spins_ = 0;
};

}  // namespace

void task_pool::run(std::size_t n, const task_function& task) {
  // Every rank must schedule the same tasks, and the coordinator needs the thread total.
  const auto count = static_cast<unsigned long long>(n);
  const unsigned long long lo = comm_.allreduce(count, op::min);
  const unsigned long long hi = comm_.allreduce(count, op::max);
  agree_or_throw<usage_error>(comm_, lo == hi,
                              "task_pool: ranks passed different task counts (" +
                                  std::to_string(lo) + " to " + std::to_string(hi) + ")");
  const int threads = std::max(1, omp_get_max_threads());
  const int total_threads = comm_.allreduce(threads, op::sum);
  const int rank = comm_.rank();
  const int size = comm_.size();
  const bool coordinator = rank == 0;
  const std::uint64_t low_water = 2 * static_cast<std::uint64_t>(threads);

  local_queue queue;
  std::vector<thread_figures> figures(static_cast<std::size_t>(threads));
  std::atomic<bool> supply_done{false};  // no chunk will reach this rank any more
  std::atomic<bool> stop{false};         // an internal failure: every thread leaves
  std::exception_ptr internal_error;
  std::uint64_t chunks = 0;

  // Coordinator state: the shared counter and the ranks not yet told "no more".
  std::uint64_t next = 0;
  int active_workers = size - 1;
  // Worker state: the one request in flight.
  std::array<std::uint64_t, 2> reply{};
  int my_threads = threads;
  request reply_request;
  request ask_request;
  bool asking = false;

  auto take_chunk = [&](int requester_threads) -> std::pair<std::uint64_t, std::uint64_t> {
    const std::uint64_t remaining = n - next;
    if (remaining == 0) return {next, next};
    std::uint64_t size_of = options_.chunk;
    if (size_of == 0) {
      const auto share = static_cast<std::uint64_t>(requester_threads);
      const auto whole = 2 * static_cast<std::uint64_t>(total_threads);
      size_of =
          std::max<std::uint64_t>(options_.min_chunk, (remaining * share + whole - 1) / whole);
    }
    size_of = std::min(size_of, remaining);
    const std::uint64_t begin = next;
    next += size_of;
    return {begin, next};
  };

  // The master thread's communication step, between two of its tasks.
  auto progress = [&] {
    if (coordinator) {
      status st;
      while (active_workers > 0 && comm_.iprobe(st, any_source, request_tag)) {
        const int their_threads = comm_.recv<int>(st.source, request_tag);
        const auto [b, e] = take_chunk(their_threads);
        const std::array<std::uint64_t, 2> answer{b, e};
        // The worker posted its receive before asking, so this send never waits on it.
        comm_.send(std::span<const std::uint64_t>(answer), st.source, reply_tag);
        if (b == e) --active_workers;
      }
      if (!supply_done.load(std::memory_order_relaxed) && queue.size() < low_water) {
        const auto [b, e] = take_chunk(threads);
        if (b == e) {
          supply_done.store(true, std::memory_order_release);
        } else {
          queue.push(b, e);
          ++chunks;
        }
      }
      return;
    }
    if (supply_done.load(std::memory_order_relaxed)) return;
    if (asking && reply_request.test()) {
      asking = false;
      ask_request.wait();
      if (reply[0] == reply[1]) {
        supply_done.store(true, std::memory_order_release);
        return;
      }
      queue.push(reply[0], reply[1]);
      ++chunks;
    }
    if (!asking && queue.size() < low_water) {
      reply_request = comm_.irecv(std::span<std::uint64_t>(reply), 0, reply_tag);
      ask_request = comm_.isend(std::span<const int>(&my_threads, 1), 0, request_tag);
      asking = true;
    }
  };

  auto master_finished = [&] {
    return supply_done.load(std::memory_order_acquire) && queue.size() == 0 &&
           (!coordinator || active_workers == 0);
  };

  auto loop = [&](int tid) {
    auto& mine = figures[static_cast<std::size_t>(tid)];
    backoff idle;
    try {
      for (;;) {
        if (tid == 0) progress();
        if (const auto i = queue.take()) {
          idle.reset();
          const double t0 = omp_get_wtime();
          try {
            task(static_cast<std::size_t>(*i), tid);
          } catch (const std::exception& e) {
            if (*i < mine.first_failure) {
              mine.first_failure = *i;
              mine.failure_message = e.what();
            }
          } catch (...) {
            if (*i < mine.first_failure) {
              mine.first_failure = *i;
              mine.failure_message = "unknown exception";
            }
          }
          mine.busy += omp_get_wtime() - t0;
          ++mine.tasks;
          continue;
        }
        if (stop.load(std::memory_order_acquire)) break;
        if (tid == 0 ? master_finished()
                     : supply_done.load(std::memory_order_acquire) && queue.size() == 0) {
          break;
        }
        idle.pause();
      }
    } catch (...) {
      // Only the master's MPI calls (or an allocation) can get here; tasks are caught above.
#pragma omp critical(weft_task_pool_error)
      if (!internal_error) internal_error = std::current_exception();
      stop.store(true, std::memory_order_release);
    }
  };

  const double start = omp_get_wtime();
#pragma omp parallel num_threads(threads) default(none) shared(loop)
  loop(omp_get_thread_num());
  const double wall = omp_get_wtime() - start;

  // An MPI failure is not agreed on: the top level aborts the job (see the header).
  if (internal_error) std::rethrow_exception(internal_error);

  stats_ = pool_stats{};
  stats_.wall = wall;
  stats_.chunks = chunks;
  std::uint64_t first_failure = none;
  std::string failure_message;
  for (const auto& f : figures) {
    stats_.tasks += f.tasks;
    stats_.busy += f.busy;
    stats_.thread_busy.push_back(f.busy);
    stats_.thread_tasks.push_back(f.tasks);
    if (f.first_failure < first_failure) {
      first_failure = f.first_failure;
      failure_message = f.failure_message;
    }
  }
  stats_.idle = std::max(0.0, static_cast<double>(threads) * wall - stats_.busy);

  // Agree on the lowest failing task: every rank throws the same task_error.
  const auto lowest = static_cast<unsigned long long>(first_failure);
  const unsigned long long global = comm_.allreduce(lowest, op::min);
  if (global == static_cast<unsigned long long>(none)) return;
  const int owner = comm_.allreduce(lowest == global ? rank : size, op::min);
  std::string message = rank == owner ? failure_message : std::string{};
  comm_.bcast(message, owner);
  throw task_error(static_cast<std::size_t>(global), owner, message);
}

}  // namespace weft::par
