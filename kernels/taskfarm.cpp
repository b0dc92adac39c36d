// taskfarm: N synthetic tasks whose durations follow a distribution, run twice in the
// same job — by the dynamic task pool and by a static block split (rank r takes the r-th
// contiguous block, its threads split it with schedule(static)) — to show what dynamic
// scheduling buys on uneven work. A task busy-waits for its duration (it computes, it
// does not sleep). Durations come from the counter-based generator keyed by (seed, task),
// so both runs and every layout see the same tasks.
//
// Per mode: tasks/s, parallel efficiency = sum of task durations / (workers × wall), and
// the max/mean busy time per worker (worker = one thread of one rank). Validation: every
// task ran exactly once in each mode, and no worker reported less busy time than the
// durations it was given could take.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "registry.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"
#include "weft/par/rng.hpp"
#include "weft/par/task_pool.hpp"

namespace weft::kernels {

namespace {

// Durations in seconds, identical on every rank.
std::vector<double> make_durations(std::uint64_t n, const std::string& distribution, double mean,
                                   double spread, const std::string& order, std::uint64_t seed) {
  std::vector<double> d(n, mean);
  for (std::uint64_t i = 0; i < n; ++i) {
    const double u = par::counter_rng::uniform(seed, i);
    if (distribution == "uniform") {
      d[i] = mean * (1 - spread + 2 * spread * u);
    } else if (distribution == "exponential") {
      d[i] = -mean * std::log1p(-u);
    } else if (distribution == "bimodal") {
      // One task in ten is long; short and long are set so the mean stays `mean`.
      d[i] = u < 0.1 ? mean * (1 + 9 * spread) : mean * (1 - spread);
    }
  }
  if (order == "sorted") std::sort(d.begin(), d.end(), std::greater<>());
  return d;
}

void spin_for(double seconds) {
  if (seconds <= 0) return;
  const double until = omp_get_wtime() + seconds;
  while (omp_get_wtime() < until) {
  }
}

struct mode_result {
  double wall = 0;
  std::vector<double> worker_busy;  // every worker of every rank (allgathered)
  unsigned long long tasks = 0;
  unsigned long long index_sum = 0;
};

// Every rank's per-thread busy times, in rank order.
std::vector<double> gather_busy(const comm_ref& world, const std::vector<double>& mine) {
  return world.allgatherv(std::span<const double>(mine));
}

mode_result run_dynamic(const comm_ref& world, par::task_pool& pool, const std::vector<double>& d) {
  mode_result r;
  const int threads = omp_get_max_threads();
  std::vector<unsigned long long> sums(static_cast<std::size_t>(threads), 0);
  world.barrier();
  const double start = now();
  pool.run(d.size(), [&](std::size_t i, int thread) {
    spin_for(d[i]);
    sums[static_cast<std::size_t>(thread)] += i;
  });
  r.wall = world.allreduce(now() - start, op::max);
  unsigned long long local = 0;
  for (auto s : sums) local += s;
  r.index_sum = world.allreduce(local, op::sum);
  r.tasks = world.allreduce(static_cast<unsigned long long>(pool.stats().tasks), op::sum);
  r.worker_busy = gather_busy(world, pool.stats().thread_busy);
  return r;
}

mode_result run_static(const comm_ref& world, const std::vector<double>& d) {
  mode_result r;
  const auto n = static_cast<std::uint64_t>(d.size());
  const auto p = static_cast<std::uint64_t>(world.size());
  const auto rank = static_cast<std::uint64_t>(world.rank());
  const std::uint64_t first = n * rank / p;
  const std::uint64_t last = n * (rank + 1) / p;
  const int threads = omp_get_max_threads();
  std::vector<double> busy(static_cast<std::size_t>(threads), 0);
  unsigned long long count = 0, index_sum = 0;
  world.barrier();
  const double start = now();
#pragma omp parallel default(none) shared(d, busy, first, last) reduction(+ : count, index_sum)
  {
    const double t0 = omp_get_wtime();
#pragma omp for schedule(static)
    for (std::uint64_t i = first; i < last; ++i) {
      spin_for(d[i]);
      ++count;
      index_sum += i;
    }
    busy[static_cast<std::size_t>(omp_get_thread_num())] = omp_get_wtime() - t0;
  }
  r.wall = world.allreduce(now() - start, op::max);
  r.tasks = world.allreduce(count, op::sum);
  r.index_sum = world.allreduce(index_sum, op::sum);
  r.worker_busy = gather_busy(world, busy);
  return r;
}

record run_taskfarm(const context& ctx) {
  const auto& world = ctx.world;
  const auto n = static_cast<std::uint64_t>(ctx.args.integer("tasks"));
  const std::string distribution = ctx.args.text("distribution");
  const double mean = ctx.args.real("mean");
  const double spread = ctx.args.real("spread");
  const std::string order = ctx.args.text("order");
  const auto seed = static_cast<std::uint64_t>(ctx.args.integer("seed"));
  const auto chunk = static_cast<std::size_t>(ctx.args.integer("chunk"));
  const bool skip_static = ctx.args.has("dynamic-only") && ctx.args.flag("dynamic-only");
  if ((distribution == "uniform" || distribution == "bimodal") && spread > 1) {
    throw usage_error("--spread must be at most 1 for " + distribution + " durations", true);
  }

  const auto d = make_durations(n, distribution, mean, spread, order, seed);
  double work = 0;
  for (double x : d) work += x;
  const int workers = world.allreduce(omp_get_max_threads(), op::sum);

  par::task_pool pool(world, par::pool_options{chunk, 1});
  // Warm-up: thread start-up and the pool's communicator, untimed.
  pool.run(static_cast<std::size_t>(workers), [](std::size_t, int) {});

  const mode_result dyn = run_dynamic(world, pool, d);
  mode_result sta;
  if (!skip_static) sta = run_static(world, d);

  record rec;
  rec.kernel = "taskfarm";
  phase_timer timer;
  timer.add("dynamic", pool.stats().wall);
  rec.phases = summarize(world, timer);

  const unsigned long long expected_sum = n > 0 ? n * (n - 1) / 2 : 0;
  bool passed = dyn.tasks == n && dyn.index_sum == expected_sum;
  std::string detail = fmt::format("dynamic: {} of {} tasks", dyn.tasks, n);
  double dyn_busy_total = 0;
  for (double b : dyn.worker_busy) dyn_busy_total += b;
  // Each task spins at least its duration; allow clock granularity.
  passed = passed && dyn_busy_total >= work * (1 - 1e-6);

  auto add_mode = [&](const std::string& prefix, const mode_result& m) {
    double sum = 0, most = 0;
    for (double b : m.worker_busy) {
      sum += b;
      most = std::max(most, b);
    }
    const double avg = m.worker_busy.empty() ? 0 : sum / static_cast<double>(m.worker_busy.size());
    rec.metrics.push_back({prefix + "_tasks_per_second",
                           m.wall > 0 ? static_cast<double>(n) / m.wall : 0, "tasks/s", true,
                           "tasks / wall time"});
    rec.metrics.push_back({prefix + "_efficiency", m.wall > 0 ? work / (workers * m.wall) : 0, "",
                           true, "sum of task durations / (workers * wall)"});
    rec.metrics.push_back({prefix + "_wall", m.wall, "s", false, "slowest rank"});
    rec.metrics.push_back({prefix + "_busy_max_over_mean", avg > 0 ? most / avg : 1, "", false,
                           "max / mean busy seconds per worker"});
    rec.metrics.push_back({prefix + "_busy_max", most, "s", false, "busiest worker"});
    rec.metrics.push_back({prefix + "_busy_mean", avg, "s", false, "mean over workers"});
  };
  add_mode("dynamic", dyn);
  if (!skip_static) {
    add_mode("static", sta);
    passed = passed && sta.tasks == n && sta.index_sum == expected_sum;
    detail += fmt::format(", static: {} of {} tasks", sta.tasks, n);
    rec.metrics.push_back({"speedup_dynamic_over_static", dyn.wall > 0 ? sta.wall / dyn.wall : 1,
                           "", true, "static wall / dynamic wall"});
  }
  rec.metrics.push_back(
      {"ideal_wall", work / workers, "s", false, "sum of task durations / workers"});
  rec.extra["workers"] = workers;
  rec.extra["total_work_seconds"] = work;
  rec.extra["dynamic_worker_busy"] = dyn.worker_busy;
  // Where the dynamic pool ran the tasks (rank 0 takes its own chunks without messages).
  const auto& mine = pool.stats().thread_tasks;
  rec.extra["dynamic_worker_tasks"] =
      world.allgatherv(std::span<const std::uint64_t>(mine.data(), mine.size()));
  if (!skip_static) rec.extra["static_worker_busy"] = sta.worker_busy;

  rec.check.passed = passed;
  rec.check.method =
      "every task ran exactly once in each mode (count and sum of indices); workers' busy "
      "time covers the task durations";
  rec.check.detail = fmt::format("{}; index sum expected {}; busy {:.6g} s for {:.6g} s of work",
                                 detail, expected_sum, dyn_busy_total, work);
  return rec;
}

}  // namespace

kernel make_taskfarm() {
  return {
      "taskfarm",
      "synthetic tasks of uneven duration: dynamic task pool vs static block split",
      {
          {.name = "tasks",
           .type = param_type::integer,
           .default_value = "2000",
           .help = "number of tasks",
           .min = 0},
          {.name = "distribution",
           .type = param_type::choice,
           .default_value = "exponential",
           .help =
               "task durations: fixed (all = mean), uniform (mean*(1 +- spread)), exponential "
               "(with that mean), bimodal (1 in 10 long: mean*(1+9*spread), else mean*(1-spread))",
           .choices = {"fixed", "uniform", "exponential", "bimodal"}},
          {.name = "mean",
           .type = param_type::real,
           .default_value = "0.001",
           .help = "mean task duration (seconds)",
           .min = 0},
          {.name = "spread",
           .type = param_type::real,
           .default_value = "0.5",
           .help = "relative spread (uniform, bimodal)",
           .min = 0},
          {.name = "order",
           .type = param_type::choice,
           .default_value = "random",
           .help =
               "random: durations drawn per task index; sorted: the same durations, longest first "
               "(cost that falls along the index, as in triangular loops)",
           .choices = {"random", "sorted"}},
          {.name = "seed",
           .type = param_type::integer,
           .default_value = "7",
           .help = "random seed for the durations",
           .min = 0},
          {.name = "chunk",
           .type = param_type::integer,
           .default_value = "0",
           .help = "pool chunk size (0: guided)",
           .min = 0},
          {.name = "dynamic-only",
           .type = param_type::flag,
           .default_value = "false",
           .help = "skip the static split"},
      },
      run_taskfarm,
  };
}

}  // namespace weft::kernels
