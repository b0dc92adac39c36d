// montecarlo: Monte Carlo integration through the task pool — π by default, or another
// built-in integral (--integrand). Sample s draws its coordinates from the counter-based
// generator keyed by (seed, s), tasks are fixed blocks of consecutive samples, and the
// pool folds the per-task sums in task order: the estimate is bitwise identical for any
// rank × thread layout. Reports samples/s, the estimate, its error against the exact
// value and the standard error; validates |error| <= 5 standard errors.
//
// Long runs checkpoint through the library (io::checkpoint, io::step_loop): with --checkpoint
// PREFIX the tasks run in rounds of --checkpoint-every tasks, and after each round the
// running sums and the number of tasks done are written. SIGTERM/SIGUSR1 stop the run
// after the current round with a checkpoint and exit code 75; --restart resumes from
// the newest good checkpoint, on any rank count. Rounds continue the same fold in task
// order (each starts from the sums so far), so a run cut into rounds, interrupted and
// resumed anywhere gives the bits of an uninterrupted one.
#include <omp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "registry.hpp"
#include "weft/core/clones.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"
#include "weft/io/checkpoint.hpp"
#include "weft/io/step_loop.hpp"
#include "weft/par/rng.hpp"
#include "weft/par/task_pool.hpp"

namespace weft::kernels {

namespace {

struct moments {
  double sum = 0;
  double sum_sq = 0;
};

// Samples drawn per call of counter_rng::draw_uniforms (they stay in L1).
constexpr std::size_t batch = 512;
// Partial sums per task: sample first + i adds to partial i % lanes; the partials are
// combined pairwise at the end of the task. A fixed order, so the estimate has the same
// bits at every layout (and in every clone: this file is built with -ffp-contract=off).
constexpr std::size_t lanes = 8;

// The two uniforms of each sample's Philox block (counter_rng::draw_uniforms).
using uniforms = std::array<std::array<double, batch>, 2>;

// f at sample i, added to one lane's partial sums. Always inlined, so it is compiled for
// the ISA of sample_block's clone.
template <int D, class F>
[[gnu::always_inline]] inline void add_sample(F& f, const uniforms& u, const uniforms& z,
                                              std::size_t i, double& sum, double& sq) {
  std::array<double, 3> x{u[0][i], u[1][i], 0.0};
  if constexpr (D > 2) x[2] = z[0][i];
  const double v = f(x);
  sum += v;
  sq += v * v;
}

// The sums of f over samples [first, last): coordinates of sample s come from Philox
// block (seed, s) (two uniforms) and, with D = 3, block (seed, s, stream 1). f is a
// template argument so that it inlines into the loop, which vectorises over the lanes.
template <int D, class F>
WEFT_SIMD_CLONES moments sample_block(F f, std::uint64_t seed, std::uint64_t first,
                                      std::uint64_t last) {
  std::array<double, lanes> sum{};
  std::array<double, lanes> sq{};
  uniforms u;
  uniforms z;
  for (std::uint64_t s = first; s < last; s += batch) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(batch, last - s));
    par::counter_rng::draw_uniforms(seed, s, n, 0, {u[0].data(), u[1].data()});
    if constexpr (D > 2) par::counter_rng::draw_uniforms(seed, s, n, 1, {z[0].data(), z[1].data()});
    std::size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
#pragma GCC unroll 8
      for (std::size_t l = 0; l < lanes; ++l) add_sample<D>(f, u, z, i + l, sum[l], sq[l]);
    }
    for (; i < n; ++i) add_sample<D>(f, u, z, i, sum[i % lanes], sq[i % lanes]);
  }
  const auto fold = [](const std::array<double, lanes>& p) {
    return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
  };
  return {fold(sum), fold(sq)};
}

struct integrand {
  std::string name;
  std::string description;
  double exact;
  // sample_block instantiated for this integrand.
  moments (*sample)(std::uint64_t seed, std::uint64_t first, std::uint64_t last);
};

template <int D, class F>
auto sampler(F) {
  return [](std::uint64_t seed, std::uint64_t first, std::uint64_t last) {
    return sample_block<D>(F{}, seed, first, last);
  };
}

using unit3 = std::array<double, 3>;

const std::vector<integrand>& integrands() {
  using std::numbers::pi;
  static const std::vector<integrand> all = {
      {"pi", "4 * [x^2 + y^2 < 1] on the unit square (= pi)", pi,
       sampler<2>([](const unit3& u) { return u[0] * u[0] + u[1] * u[1] < 1.0 ? 4.0 : 0.0; })},
      {"sine", "integral of sin(x) over [0, pi] (= 2)", 2.0,
       sampler<1>([](const unit3& u) { return pi * std::sin(pi * u[0]); })},
      {"gaussian", "integral of exp(-x^2) over [0, 1] (= sqrt(pi)/2 * erf(1))",
       std::sqrt(pi) / 2.0 * std::erf(1.0),
       sampler<1>([](const unit3& u) { return std::exp(-u[0] * u[0]); })},
      {"ball", "volume of the unit ball in 3-D (= 4*pi/3)", 4.0 * pi / 3.0,
       sampler<3>([](const unit3& u) {
         const double x = 2 * u[0] - 1, y = 2 * u[1] - 1, z = 2 * u[2] - 1;
         return x * x + y * y + z * z < 1.0 ? 8.0 : 0.0;
       })},
  };
  return all;
}

const integrand& find_integrand(const std::string& name) {
  for (const auto& i : integrands()) {
    if (i.name == name) return i;
  }
  throw usage_error("--integrand: unknown integrand '" + name + "'", true);
}

// The pool's figures summed over the rounds of one run.
struct pool_totals {
  double wall = 0, busy = 0, idle = 0;
  std::uint64_t tasks = 0;
  void add(const par::pool_stats& st) {
    wall += st.wall;
    busy += st.busy;
    idle += st.idle;
    tasks += st.tasks;
  }
};

record run_montecarlo(const context& ctx) {
  const auto& world = ctx.world;
  const auto samples = static_cast<std::uint64_t>(ctx.args.integer("samples"));
  const auto block = static_cast<std::uint64_t>(ctx.args.integer("block"));
  const auto seed = static_cast<std::uint64_t>(ctx.args.integer("seed"));
  const integrand& in = find_integrand(ctx.args.text("integrand"));
  const std::uint64_t tasks = (samples + block - 1) / block;
  const bool checkpointing = ctx.args.given("checkpoint");
  if (!checkpointing && ctx.args.flag("restart")) {
    throw usage_error("--restart needs --checkpoint PREFIX (where the checkpoints are)", true);
  }

  par::task_pool pool(world);
  auto add = [](moments a, moments b) { return moments{a.sum + b.sum, a.sum_sq + b.sum_sq}; };

  // Task `task`: the samples of one block.
  const auto run_task = [&](std::uint64_t task) {
    const std::uint64_t first = task * block;
    return in.sample(seed, first, std::min(samples, first + block));
  };
  // Warm-up (pages, caches, thread start-up): one task per worker, untimed.
  const auto warm = static_cast<std::size_t>(std::min<std::uint64_t>(
      tasks, static_cast<std::uint64_t>(world.size() * omp_get_max_threads())));
  (void)pool.reduce(
      warm, [&](std::size_t t) { return run_task(t); }, moments{}, add);

  // The state a checkpoint holds: tasks done and the running sums.
  std::uint64_t done_tasks = 0;
  moments total;
  std::optional<io::checkpoint> ckpt;
  if (checkpointing) {
    ckpt.emplace(world, io::checkpoint_options{
                            .prefix = ctx.args.text("checkpoint"),
                            .keep = static_cast<int>(ctx.args.integer("keep-checkpoints")),
                            .fingerprint = fmt::format("samples={} block={} seed={} integrand={}",
                                                       samples, block, seed, in.name),
                            .parameters = ctx.args.values()});
    ckpt->add("done_tasks", done_tasks);
    ckpt->add("sum", total.sum);
    ckpt->add("sum_sq", total.sum_sq);
    if (ctx.args.flag("restart")) (void)ckpt->restore();
  }
  const std::uint64_t resumed_from = done_tasks;
  const auto every = static_cast<std::uint64_t>(ctx.args.integer("checkpoint-every"));
  // Without checkpoints one round does everything; with them, rounds of `every` tasks
  // (or twentieths when only a stop should write one).
  const std::uint64_t round = !checkpointing
                                  ? std::max<std::uint64_t>(tasks, 1)
                                  : (every > 0 ? every : std::max<std::uint64_t>(1, tasks / 20));

  // Rounds end at step boundaries: a due checkpoint, an agreed stop (exit 75), progress.
  io::step_loop loop(world, {.steps = static_cast<long long>(tasks),
                             .checkpoints = ckpt ? &*ckpt : nullptr,
                             .checkpoint_every = static_cast<long long>(every),
                             .label = "montecarlo",
                             .unit = "tasks"});
  loop.start(static_cast<long long>(done_tasks));
  pool_totals figures;
  world.barrier();
  const double start = now();
  while (done_tasks < tasks) {
    const std::uint64_t first_task = done_tasks;
    const std::uint64_t count = std::min(round, tasks - first_task);
    total = pool.reduce(
        static_cast<std::size_t>(count), [&](std::size_t t) { return run_task(first_task + t); },
        total, add);
    figures.add(pool.stats());
    done_tasks += count;
    loop.completed(static_cast<long long>(done_tasks));
  }
  const double elapsed = world.allreduce(now() - start, op::max);

  const double n = static_cast<double>(samples);
  const double mean = total.sum / n;
  const double variance =
      samples > 1 ? std::max(0.0, (total.sum_sq - n * mean * mean) / (n - 1)) : 0;
  const double std_error = std::sqrt(variance / n);
  const double error = mean - in.exact;
  const double limit = 5 * std_error + 1e-12 * std::abs(in.exact);

  phase_timer timer;
  timer.add("compute", figures.wall);
  const auto done = world.allreduce(static_cast<unsigned long long>(figures.tasks), op::sum);
  const std::uint64_t ran = tasks - resumed_from;
  const double n_run = static_cast<double>(std::min(samples, tasks * block) -
                                           std::min(samples, resumed_from * block));

  record rec;
  rec.kernel = "montecarlo";
  rec.phases = summarize(world, timer);
  rec.metrics.push_back({"samples_per_second", n_run / std::max(elapsed, 1e-9), "samples/s", true,
                         "samples drawn in this run / (slowest rank's time)"});
  rec.metrics.push_back({"estimate", mean, "", true, "mean of f over the samples"});
  rec.metrics.push_back({"exact", in.exact, "", true, in.description});
  rec.metrics.push_back({"error", error, "", false, "estimate - exact"});
  rec.metrics.push_back(
      {"standard_error", std_error, "", false, "sqrt(sample variance of f / samples)"});
  rec.metrics.push_back({"time", elapsed, "s", false, "slowest rank"});
  rec.extra["estimate_bits"] = fmt::format("{:016x}", std::bit_cast<std::uint64_t>(mean));
  rec.extra["tasks"] = tasks;
  rec.extra["resumed_from_task"] = resumed_from;

  const auto busy = summarize(world, "busy", figures.busy);
  const auto idle = summarize(world, "idle", figures.idle);
  rec.extra["busy_seconds_per_rank"] = {{"min", busy.min}, {"mean", busy.mean}, {"max", busy.max}};
  rec.extra["idle_seconds_per_rank"] = {{"min", idle.min}, {"mean", idle.mean}, {"max", idle.max}};

  rec.check.passed = std::abs(error) <= limit && done == ran;
  rec.check.method = "estimate within 5 standard errors of the exact value; every task ran once";
  rec.check.detail = fmt::format(
      "{}: estimate {:.15g}, exact {:.15g}, error {:.3g}, standard error {:.3g} (limit {:.3g}); "
      "{} of {} tasks ran; estimate bits {:016x}",
      in.name, mean, in.exact, error, std_error, limit, done, ran,
      std::bit_cast<std::uint64_t>(mean));
  return rec;
}

}  // namespace

kernel make_montecarlo() {
  std::vector<std::string> names;
  for (const auto& i : integrands()) names.push_back(i.name);
  return {
      "montecarlo",
      "Monte Carlo integration (pi and others) through the task pool: samples/s, error",
      {
          {.name = "samples",
           .type = param_type::integer,
           .default_value = "50000000",
           .help = "number of samples",
           .min = 1},
          {.name = "block",
           .type = param_type::integer,
           .default_value = "65536",
           .help = "samples per task",
           .min = 1},
          {.name = "seed",
           .type = param_type::integer,
           .default_value = "20240601",
           .help = "random seed",
           .min = 0},
          {.name = "integrand",
           .type = param_type::choice,
           .default_value = "pi",
           .help = "pi (quarter disc), sine (over [0,pi]), gaussian (exp(-x^2) over [0,1]), ball "
                   "(unit 3-ball volume)",
           .choices = names},
          {.name = "checkpoint",
           .type = param_type::text,
           .default_value = "none",
           .help = "checkpoint under this prefix (PREFIX.ckpt.N.h5); none: no checkpoints"},
          checkpoint_every_param("0", "tasks"),
          keep_checkpoints_param(),
          restart_param(),
      },
      run_montecarlo,
  };
}

}  // namespace weft::kernels
