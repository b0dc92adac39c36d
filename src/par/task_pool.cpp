#include "weft/par/task_pool.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
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
constexpr int done_tag = 3;  // a worker has its last reply: no request of it is in flight
// Requests a worker keeps in flight, at most (per thread of the rank, plus two). Rank 0's
// master answers between two of its own tasks, so a single request waits up to one task
// there and, with small chunks, the worker idled as long (efficiency 0.75 at any task
// length on 2 workers); with several, one waits at rank 0 while another's reply is used.
std::size_t max_asks(int threads) {
  return 2 * static_cast<std::size_t>(threads) + 2;
}
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

// One run's scheduling: rank 0 hands out chunks of task indices from a shared counter
// (guided: a requester gets its threads' share of half the remaining work); every rank
// keeps a local queue its threads take from, refilled by its master thread between two
// tasks (the coordinator serves the other ranks' requests there too).
class scheduler {
 public:
  scheduler(const comm_ref& c, std::uint64_t n, const pool_options& o, int threads,
            int total_threads)
      : comm_(c),
        n_(n),
        options_(o),
        threads_(threads),
        total_threads_(total_threads),
        coordinator_(c.rank() == 0),
        low_water_(2 * static_cast<std::uint64_t>(threads)),
        active_workers_(c.size() - 1),
        my_threads_(threads) {
    figures.resize(static_cast<std::size_t>(threads));
  }

  // The body of each thread of the team: tasks until none are left (or an internal error).
  void loop(int tid, const task_pool::task_function& task) {
    auto& mine = figures[static_cast<std::size_t>(tid)];
    backoff idle;
    try {
      for (;;) {
        if (tid == 0) progress();
        if (const auto i = queue_.take()) {
          idle.reset();
          run_task(*i, tid, task, mine);
          continue;
        }
        if (stop_.load(std::memory_order_acquire)) break;
        if (tid == 0 ? master_finished()
                     : supply_done_.load(std::memory_order_acquire) && queue_.size() == 0) {
          break;
        }
        idle.pause();
      }
    } catch (...) {
      // Only the master's MPI calls (or an allocation) can get here; tasks are caught.
#pragma omp critical(weft_task_pool_error)
      if (!internal_error) internal_error = std::current_exception();
      stop_.store(true, std::memory_order_release);
    }
  }

  std::exception_ptr internal_error;
  std::vector<thread_figures> figures;
  std::uint64_t chunks = 0;

 private:
  static void run_task(std::uint64_t i, int tid, const task_pool::task_function& task,
                       thread_figures& mine) {
    const double t0 = omp_get_wtime();
    try {
      task(static_cast<std::size_t>(i), tid);
    } catch (const std::exception& e) {
      if (i < mine.first_failure) {
        mine.first_failure = i;
        mine.failure_message = e.what();
      }
    } catch (...) {
      if (i < mine.first_failure) {
        mine.first_failure = i;
        mine.failure_message = "unknown exception";
      }
    }
    mine.busy += omp_get_wtime() - t0;
    ++mine.tasks;
  }

  // Coordinator: the next chunk for a rank with `requester_threads` threads.
  std::pair<std::uint64_t, std::uint64_t> take_chunk(int requester_threads) {
    const std::uint64_t remaining = n_ - next_;
    if (remaining == 0) return {next_, next_};
    std::uint64_t size_of = options_.chunk;
    if (size_of == 0) {
      const auto share = static_cast<std::uint64_t>(requester_threads);
      const auto whole = 2 * static_cast<std::uint64_t>(total_threads_);
      size_of =
          std::max<std::uint64_t>(options_.min_chunk, (remaining * share + whole - 1) / whole);
    }
    size_of = std::min(size_of, remaining);
    const std::uint64_t begin = next_;
    next_ += size_of;
    return {begin, next_};
  }

  // Queues [b, e); an empty chunk means no more will come. Returns whether one came.
  bool queue_chunk(std::uint64_t b, std::uint64_t e) {
    if (b == e) {
      supply_done_.store(true, std::memory_order_release);
      return false;
    }
    queue_.push(b, e);
    ++chunks;
    return true;
  }

  // The master thread's communication step, between two of its tasks.
  void progress() {
    if (coordinator_) {
      serve_requests();
      // Up to the low-water mark: with small fixed chunks one chunk a step would leave
      // the other threads of this rank without work (one task at a time, taken by the
      // master itself; a 1 x 2 run of 1-task chunks ran at efficiency 0.5).
      while (!supply_done_.load(std::memory_order_relaxed) && queue_.size() < low_water_) {
        const auto [b, e] = take_chunk(threads_);
        if (!queue_chunk(b, e)) break;
      }
      return;
    }
    if (supply_done_.load(std::memory_order_relaxed)) return;
    // Replies come in the order asked (MPI keeps a sender's messages in order).
    while (!asks_.empty() && asks_.front()->reply_request.test()) {
      const auto a = std::move(asks_.front());
      asks_.pop_front();
      a->ask_request.wait();
      if (a->reply[0] == a->reply[1]) {
        told_no_more_ = true;  // and so is every reply still in flight
      } else {
        (void)queue_chunk(a->reply[0], a->reply[1]);
      }
    }
    if (told_no_more_) {
      if (asks_.empty()) {
        // Every request is answered: tell rank 0 it may stop serving this rank.
        comm_.send(std::span<const int>(&my_threads_, 1), 0, done_tag);
        supply_done_.store(true, std::memory_order_release);
      }
      return;
    }
    // Queued tasks plus those asked for (a fixed chunk each; guided chunks count as one)
    // cover the task running, one more, and one per thread waiting at rank 0: deeper
    // would hoard tasks at the end of a run of long ones.
    const std::uint64_t per_ask = std::max<std::uint64_t>(1, options_.chunk);
    while (asks_.size() < max_asks(threads_) &&
           queue_.size() + per_ask * asks_.size() <
               low_water_ + static_cast<std::uint64_t>(threads_)) {
      auto a = std::make_unique<ask>();
      a->reply_request = comm_.irecv(std::span<std::uint64_t>(a->reply), 0, reply_tag);
      a->ask_request = comm_.isend(std::span<const int>(&my_threads_, 1), 0, request_tag);
      asks_.push_back(std::move(a));
    }
  }

  // Coordinator: answers every request waiting (an empty chunk: "no more"), and counts
  // the ranks that have every answer they asked for.
  void serve_requests() {
    status st;
    while (active_workers_ > 0 && comm_.iprobe(st, any_source, any_tag)) {
      const int their_threads = comm_.recv<int>(st.source, st.tag);
      if (st.tag == done_tag) {
        --active_workers_;
        continue;
      }
      const auto [b, e] = take_chunk(their_threads);
      const std::array<std::uint64_t, 2> answer{b, e};
      // The worker posted its receive before asking, so this send never waits on it.
      comm_.send(std::span<const std::uint64_t>(answer), st.source, reply_tag);
    }
  }

  [[nodiscard]] bool master_finished() const {
    return supply_done_.load(std::memory_order_acquire) && queue_.size() == 0 &&
           (!coordinator_ || active_workers_ == 0);
  }

  const comm_ref& comm_;
  std::uint64_t n_;
  const pool_options& options_;
  int threads_;
  int total_threads_;
  bool coordinator_;
  std::uint64_t low_water_;
  local_queue queue_;
  std::atomic<bool> supply_done_{false};  // no chunk will reach this rank any more
  std::atomic<bool> stop_{false};         // an internal failure: every thread leaves
  // Coordinator: the shared counter and the ranks not yet told "no more".
  std::uint64_t next_ = 0;
  int active_workers_;
  // Worker: the requests in flight, oldest first (their buffers stay put: heap-held).
  struct ask {
    std::array<std::uint64_t, 2> reply{};
    request reply_request;
    request ask_request;
  };
  std::deque<std::unique_ptr<ask>> asks_;
  bool told_no_more_ = false;
  int my_threads_;
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
  scheduler sched(comm_, n, options_, threads, comm_.allreduce(threads, op::sum));

  const double start = omp_get_wtime();
#pragma omp parallel num_threads(threads) default(none) shared(sched, task)
  sched.loop(omp_get_thread_num(), task);
  const double wall = omp_get_wtime() - start;

  // An MPI failure is not agreed on: the top level aborts the job (see the header).
  if (sched.internal_error) std::rethrow_exception(sched.internal_error);
  std::uint64_t first_failure = none;
  std::string failure_message;
  stats_ = pool_stats{};
  stats_.wall = wall;
  stats_.chunks = sched.chunks;
  for (const auto& f : sched.figures) {
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
  throw_first_failure(first_failure, failure_message);
}

// Collective: agrees on the lowest failing task, so every rank throws the same task_error.
void task_pool::throw_first_failure(std::uint64_t first_failure,
                                    const std::string& failure_message) const {
  const auto lowest = static_cast<unsigned long long>(first_failure);
  const unsigned long long global = comm_.allreduce(lowest, op::min);
  if (global == static_cast<unsigned long long>(none)) return;
  const int rank = comm_.rank();
  const int owner = comm_.allreduce(lowest == global ? rank : comm_.size(), op::min);
  std::string message = rank == owner ? failure_message : std::string{};
  comm_.bcast(message, owner);
  throw task_error(static_cast<std::size_t>(global), owner, message);
}

}  // namespace weft::par
