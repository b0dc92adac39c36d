// montecarlo: Monte Carlo integration through the task pool — π by default, or another
// built-in integral (--integrand). Sample s draws its coordinates from the counter-based
// generator keyed by (seed, s), tasks are fixed blocks of consecutive samples, and the
// pool folds the per-task sums in task order: the estimate is bitwise identical for any
// rank × thread layout. Reports samples/s, the estimate, its error against the exact
// value and the standard error; validates |error| <= 5 standard errors.
#include <omp.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>

#include <fmt/format.h>

#include "registry.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"
#include "weft/par/rng.hpp"
#include "weft/par/task_pool.hpp"

namespace weft::kernels {

namespace {

struct moments {
  double sum = 0;
  double sum_sq = 0;
};

struct integrand {
  std::string name;
  std::string description;
  double exact;
  int dimensions;
  double (*f)(const double* u);  // u: uniforms on [0, 1)
};

const std::vector<integrand>& integrands() {
  using std::numbers::pi;
  static const std::vector<integrand> all = {
      {"pi", "4 * [x^2 + y^2 < 1] on the unit square (= pi)", pi, 2,
       [](const double* u) { return u[0] * u[0] + u[1] * u[1] < 1.0 ? 4.0 : 0.0; }},
      {"sine", "integral of sin(x) over [0, pi] (= 2)", 2.0, 1,
       [](const double* u) { return pi * std::sin(pi * u[0]); }},
      {"gaussian", "integral of exp(-x^2) over [0, 1] (= sqrt(pi)/2 * erf(1))",
       std::sqrt(pi) / 2.0 * std::erf(1.0), 1,
       [](const double* u) { return std::exp(-u[0] * u[0]); }},
      {"ball", "volume of the unit ball in 3-D (= 4*pi/3)", 4.0 * pi / 3.0, 3,
       [](const double* u) {
         const double x = 2 * u[0] - 1, y = 2 * u[1] - 1, z = 2 * u[2] - 1;
         return x * x + y * y + z * z < 1.0 ? 8.0 : 0.0;
       }},
  };
  return all;
}

const integrand& find_integrand(const std::string& name) {
  for (const auto& i : integrands()) {
    if (i.name == name) return i;
  }
  throw usage_error("--integrand: unknown integrand '" + name + "'", true);
}

inline double to_unit(std::uint32_t hi, std::uint32_t lo) {
  return static_cast<double>(((std::uint64_t{hi} << 32) | lo) >> 11) * 0x1.0p-53;
}

// The sums of f over samples [first, last): coordinates of sample s come from Philox
// block (seed, s) (two uniforms) and, in 3-D, block (seed, s, stream 1).
moments sample_block(const integrand& in, std::uint64_t seed, std::uint64_t first,
                     std::uint64_t last) {
  moments m;
  double u[4];
  for (std::uint64_t s = first; s < last; ++s) {
    const auto b = counter_rng::draw(seed, s);
    u[0] = to_unit(b[1], b[0]);
    u[1] = to_unit(b[3], b[2]);
    if (in.dimensions > 2) {
      const auto c = counter_rng::draw(seed, s, 1);
      u[2] = to_unit(c[1], c[0]);
    }
    const double v = in.f(u);
    m.sum += v;
    m.sum_sq += v * v;
  }
  return m;
}

record run_montecarlo(const context& ctx) {
  const auto& world = ctx.world;
  const auto samples = static_cast<std::uint64_t>(ctx.args.integer("samples"));
  const auto block = static_cast<std::uint64_t>(ctx.args.integer("block"));
  const auto seed = static_cast<std::uint64_t>(ctx.args.integer("seed"));
  const integrand& in = find_integrand(ctx.args.text("integrand"));
  const std::uint64_t tasks = (samples + block - 1) / block;

  task_pool pool(world);
  auto task = [&](std::size_t t) {
    const std::uint64_t first = t * block;
    return sample_block(in, seed, first, std::min(samples, first + block));
  };
  auto add = [](moments a, moments b) { return moments{a.sum + b.sum, a.sum_sq + b.sum_sq}; };

  // Warm-up (pages, caches, thread start-up): one task per worker, untimed.
  const auto warm = static_cast<std::size_t>(std::min<std::uint64_t>(
      tasks, static_cast<std::uint64_t>(world.size() * omp_get_max_threads())));
  (void)pool.reduce(warm, task, moments{}, add);

  world.barrier();
  const double start = now();
  const moments total = pool.reduce(static_cast<std::size_t>(tasks), task, moments{}, add);
  const double elapsed = world.allreduce(now() - start, op::max);

  const double n = static_cast<double>(samples);
  const double mean = total.sum / n;
  const double variance =
      samples > 1 ? std::max(0.0, (total.sum_sq - n * mean * mean) / (n - 1)) : 0;
  const double std_error = std::sqrt(variance / n);
  const double error = mean - in.exact;
  const double limit = 5 * std_error + 1e-12 * std::abs(in.exact);

  phase_timer timer;
  timer.add("compute", pool.stats().wall);
  const auto done = world.allreduce(static_cast<unsigned long long>(pool.stats().tasks), op::sum);

  record rec;
  rec.kernel = "montecarlo";
  rec.phases = summarize(world, timer);
  rec.metrics.push_back(
      {"samples_per_second", n / elapsed, "samples/s", true, "samples / (slowest rank's time)"});
  rec.metrics.push_back({"estimate", mean, "", true, "mean of f over the samples"});
  rec.metrics.push_back({"exact", in.exact, "", true, in.description});
  rec.metrics.push_back({"error", error, "", false, "estimate - exact"});
  rec.metrics.push_back(
      {"standard_error", std_error, "", false, "sqrt(sample variance of f / samples)"});
  rec.metrics.push_back({"time", elapsed, "s", false, "slowest rank"});
  rec.extra["estimate_bits"] = fmt::format("{:016x}", std::bit_cast<std::uint64_t>(mean));
  rec.extra["tasks"] = tasks;

  const auto busy = summarize(world, "busy", pool.stats().busy);
  const auto idle = summarize(world, "idle", pool.stats().idle);
  rec.extra["busy_seconds_per_rank"] = {{"min", busy.min}, {"mean", busy.mean}, {"max", busy.max}};
  rec.extra["idle_seconds_per_rank"] = {{"min", idle.min}, {"mean", idle.mean}, {"max", idle.max}};

  rec.check.passed = std::abs(error) <= limit && done == tasks;
  rec.check.method = "estimate within 5 standard errors of the exact value; every task ran once";
  rec.check.detail = fmt::format(
      "{}: estimate {:.15g}, exact {:.15g}, error {:.3g}, standard error {:.3g} (limit {:.3g}); "
      "{} of {} tasks ran; estimate bits {:016x}",
      in.name, mean, in.exact, error, std_error, limit, done, tasks,
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
          {"samples", param_type::integer, "50000000", "number of samples", 1, {}, {}},
          {"block", param_type::integer, "65536", "samples per task", 1, {}, {}},
          {"seed", param_type::integer, "20240601", "random seed", 0, {}, {}},
          {"integrand",
           param_type::choice,
           "pi",
           "pi (quarter disc), sine (over [0,pi]), gaussian (exp(-x^2) over [0,1]), ball "
           "(unit 3-ball volume)",
           {},
           {},
           names},
      },
      run_montecarlo,
  };
}

}  // namespace weft::kernels
