// task_pool: N tasks across every rank and every OpenMP thread, scheduled dynamically —
// the worker pool / executor `map` of weft.
//
//   weft::par::task_pool pool(world);                               // collective over world
//   auto squares = pool.map(inputs, [](double x) { return x * x; });   // on rank 0
//   pool.for_each(n, [&](std::size_t i) { work(i); });
//   double total = pool.reduce(n, [](std::size_t i) { return f(i); }, 0.0, std::plus<>{});
//
// Every call is collective over the pool's communicator: every rank calls it with the
// same task count (checked) and the same inputs (each rank reads inputs[i] itself; only
// task indices travel). Results travel back and are returned in input order.
//
// Scheduling. Rank 0 coordinates and computes too, so 2 ranks are 2 workers (times their
// threads). Tasks are handed out in chunks of consecutive indices: guided by default
// (a chunk is about remaining·t/(2·T) tasks for a rank with t of the T threads, never
// fewer than min_chunk: large first, small at the end), or of a fixed size (options.chunk).
// Inside a rank, the threads take single tasks from the rank's chunks.
//
// Threads and MPI. MPI runs at MPI_THREAD_FUNNELED: only a rank's main thread may call
// MPI. Each call opens one OpenMP parallel region per rank; every thread runs tasks, and
// between two of its own tasks the master thread (the main thread) does the rank's
// communication: on rank 0 it answers every pending chunk request (MPI_Iprobe + a
// 16-byte MPI_Send into an already-posted receive) and refills its own rank's queue from
// the shared counter; on other ranks it asks for the next chunks before the current ones
// run out, with two requests in flight (MPI_Isend + MPI_Irecv each, then MPI_Test), so
// the round trips overlap with work. A request that reaches rank 0 while its master
// thread runs a task waits until that task ends; with two in flight, one waits there
// while the worker uses the other's reply, so a worker with chunks of single tasks as
// long as rank 0's keeps busy (with one request in flight it idled about half the time:
// efficiency 0.75 on 2 workers at any task length, docs/benchmarks.md). When a worker
// has its last (empty) reply and none is in flight, it tells rank 0 (one more message),
// so no message of a call is left for the next. Idle threads spin (yielding), then
// sleep in 20 µs steps.
//
// Per call, besides one request/reply pair per chunk and one "done" per rank: two small allreduces
// at the start (task count check, thread total), one allreduce (+ one broadcast on failure) to
// agree on task errors, and for map/reduce one gatherv (allgatherv for all_ranks) of the results
// and their indices (memory O(N) on the receiving ranks).
//
// Errors. A task that throws does not stop the pool: the remaining tasks still run, then
// every rank throws the same weft::par::task_error (collective) naming the lowest failing task
// index, its rank and its message; the pool remains usable. An MPI failure throws
// weft::mpi_error on the rank that saw it (not collective: weft::environment::run ends
// the job). Calls must come from the main thread, outside any parallel region.
#pragma once

#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/core/comm.hpp"
#include "weft/core/error.hpp"

namespace weft::par {

enum class results_on { root, all_ranks };

struct pool_options {
  std::size_t chunk = 0;      // 0: guided chunks; > 0: chunks of exactly this many tasks
  std::size_t min_chunk = 1;  // the smallest guided chunk
};

// What one rank did during the pool's last call.
struct pool_stats {
  std::uint64_t tasks = 0;                  // tasks this rank ran
  std::uint64_t chunks = 0;                 // chunks this rank received (its own, on rank 0)
  double wall = 0;                          // seconds of the parallel phase on this rank
  double busy = 0;                          // seconds inside tasks, summed over threads
  double idle = 0;                          // threads·wall − busy
  std::vector<double> thread_busy;          // seconds inside tasks, per thread
  std::vector<std::uint64_t> thread_tasks;  // tasks per thread
};

// A task threw. Thrown on every rank alike (collective), carrying the lowest failing
// task index, the rank that ran it and the task's own message.
class task_error : public error {
 public:
  task_error(std::size_t index, int rank, const std::string& message);
  [[nodiscard]] std::size_t task_index() const noexcept { return index_; }
  [[nodiscard]] int task_rank() const noexcept { return rank_; }
  [[nodiscard]] const std::string& task_message() const noexcept { return message_; }

 private:
  std::size_t index_;
  int rank_;
  std::string message_;
};

class task_pool {
 public:
  // The engine's view of a task: (task index, OpenMP thread number).
  using task_function = std::function<void(std::size_t, int)>;

  // Collective over c: duplicates it (MPI_Comm_dup) so the pool's messages never mix
  // with other traffic. Throws mpi_error.
  explicit task_pool(const comm_ref& c, pool_options options = {});

  [[nodiscard]] const comm_ref& communicator() const noexcept { return comm_; }
  [[nodiscard]] const pool_options& options() const noexcept { return options_; }
  // This rank's figures for the last call (not collective).
  [[nodiscard]] const pool_stats& stats() const noexcept { return stats_; }

  // Collective: runs task(i, thread) once for every i in [0, n), somewhere. Throws
  // usage_error (collective) when ranks pass different n, task_error when a task threw.
  void run(std::size_t n, const task_function& task);

  // Collective: fn(i) for every i in [first, last).
  template <class F>
  void for_each(std::size_t first, std::size_t last, F&& fn) {
    const std::size_t n = last > first ? last - first : 0;
    run(n, [&fn, first](std::size_t i, int) { fn(first + i); });
  }
  template <class F>
  void for_each(std::size_t n, F&& fn) {
    for_each(std::size_t{0}, n, std::forward<F>(fn));
  }

  // Collective: fn(i) for every i in [0, n); the results in index order on rank 0 (empty
  // elsewhere) or on every rank. The result type must be transferable.
  template <class F>
  auto map_index(std::size_t n, F&& fn, results_on where = results_on::root) {
    using R = std::decay_t<std::invoke_result_t<F&, std::size_t>>;
    static_assert(transferable<R>, "task_pool: a task's result must be trivially copyable");
    const int threads = omp_get_max_threads();
    std::vector<std::vector<std::uint64_t>> indices(static_cast<std::size_t>(threads));
    std::vector<std::vector<R>> values(static_cast<std::size_t>(threads));
    run(n, [&](std::size_t i, int thread) {
      R r = fn(i);
      const auto t = static_cast<std::size_t>(thread);
      indices[t].push_back(i);
      values[t].push_back(std::move(r));
    });
    return collect<R>(n, indices, values, where);
  }

  // Collective: fn(inputs[i]) for every input, results in input order (see map_index).
  template <std::ranges::random_access_range Range, class F>
  auto map(const Range& inputs, F&& fn, results_on where = results_on::root) {
    const auto n = static_cast<std::size_t>(std::ranges::size(inputs));
    auto first = std::ranges::begin(inputs);
    return map_index(
        n,
        [&fn, first](std::size_t i) {
          return fn(first[static_cast<std::ranges::range_difference_t<Range>>(i)]);
        },
        where);
  }

  // Collective: combine(...combine(combine(init, fn(0)), fn(1))..., fn(n-1)) — folded in
  // index order on rank 0, so the result does not depend on the rank/thread layout;
  // then broadcast when `where` is all_ranks (the default).
  template <class F, class R, class Combine>
  R reduce(std::size_t n, F&& fn, R init, Combine&& combine,
           results_on where = results_on::all_ranks) {
    static_assert(transferable<R>, "task_pool: a reduction's value must be trivially copyable");
    auto parts = map_index(
        n, [&fn](std::size_t i) -> R { return fn(i); }, results_on::root);
    R total = init;
    for (auto& p : parts) total = combine(std::move(total), std::move(p));
    if (where == results_on::all_ranks) comm_.bcast(total, 0);
    return total;
  }

 private:
  template <class R>
  std::vector<R> collect(std::size_t n, std::vector<std::vector<std::uint64_t>>& indices,
                         std::vector<std::vector<R>>& values, results_on where) {
    std::vector<std::uint64_t> my_indices;
    std::vector<R> my_values;
    for (std::size_t t = 0; t < indices.size(); ++t) {
      my_indices.insert(my_indices.end(), indices[t].begin(), indices[t].end());
      my_values.insert(my_values.end(), std::make_move_iterator(values[t].begin()),
                       std::make_move_iterator(values[t].end()));
    }
    const bool all = where == results_on::all_ranks;
    const auto idx = all ? comm_.allgatherv(std::span<const std::uint64_t>(my_indices))
                         : comm_.gatherv(std::span<const std::uint64_t>(my_indices), 0);
    const auto val = all ? comm_.allgatherv(std::span<const R>(my_values))
                         : comm_.gatherv(std::span<const R>(my_values), 0);
    std::vector<R> out;
    if (all || comm_.rank() == 0) {
      out.resize(n);
      for (std::size_t k = 0; k < idx.size(); ++k) out[idx[k]] = val[k];
    }
    return out;
  }

  void throw_first_failure(std::uint64_t first_failure, const std::string& failure_message) const;

  comm comm_;
  pool_options options_;
  pool_stats stats_;
};

}  // namespace weft::par
