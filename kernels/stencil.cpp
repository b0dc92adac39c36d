// stencil: the Parallel Research Kernels' star stencil on an n x n grid, decomposed over
// a 2-D rank grid with a halo of width R exchanged every iteration.
//
// Definition (PRK, so rates compare directly): in(i,j) = i + j, out = 0. Each iteration
// adds to out, at every point at least R away from the grid's edge, the star of radius R
// (weights +-1/(2kR) at distance k along each axis, 4R+1 points with the centre's weight
// 0), then adds 1 to every point of in. The L1 norm of out over those (n-2R)^2 points,
// divided by their number, is 2 (iterations + 1) exactly (in is linear, the weights take
// its derivative along each axis); the run validates against it. Rate: flops =
// (2 (4R+1) + 1) (n-2R)^2 per iteration, time = the slowest rank's, iteration 0 untimed.
// Memory traffic, for the roofline: 40 B per point per iteration (out read and written
// 16 B, in read 8 B in the stencil sweep, in read and written 16 B by in += 1).
//
// --overlap starts the halo exchange, computes the points whose star needs no halo,
// finishes the exchange, then computes the rest.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "rank_grid.hpp"
#include "registry.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"
#include "weft/grid/dist_array.hpp"
#include "weft/grid/halo.hpp"

namespace weft::kernels {

namespace {

using field = dist_array<double, 2>;

// Memory traffic per point per iteration (see the header comment).
constexpr double bytes_per_point = 40.0;

// out += star(in) over the local box b; R fixed at compile time so the inner loop over
// the radius unrolls and the loop over j vectorises.
template <int R>
void star(const field& in, field& out, const local_box<2>& b, const std::array<double, 10>& w) {
  if (b.empty()) return;
  const index_t in_row = in.strides()[0];
  const index_t out_row = out.strides()[0];
  const double* ip = in.storage().data() + in.offset({0, 0});
  double* op = out.storage().data() + out.offset({0, 0});
  const index_t i0 = b.lo[0];
  const index_t i1 = b.hi[0];
  const index_t j0 = b.lo[1];
  const index_t j1 = b.hi[1];
#pragma omp parallel for schedule(static) default(none) \
    shared(ip, op, w, in_row, out_row, i0, i1, j0, j1)
  for (index_t i = i0; i < i1; ++i) {
    const double* __restrict c = ip + i * in_row;
    double* __restrict o = op + i * out_row;
    std::array<double, R + 1> wk{};
    for (int k = 1; k <= R; ++k) wk[static_cast<std::size_t>(k)] = w[static_cast<std::size_t>(k)];
#pragma omp simd
    for (index_t j = j0; j < j1; ++j) {
      double s = 0;
      for (int k = 1; k <= R; ++k) {
        const double wt = wk[static_cast<std::size_t>(k)];
        // The weights are antisymmetric (+-1/(2kR)): one product per pair of points.
        s += wt * (c[j + k] - c[j - k]) + wt * (c[j + k * in_row] - c[j - k * in_row]);
      }
      o[j] += s;
    }
  }
}

using star_function = void (*)(const field&, field&, const local_box<2>&,
                               const std::array<double, 10>&);

template <int... R>
star_function pick_star(int radius, std::integer_sequence<int, R...>) {
  star_function f = nullptr;
  ((radius == R + 1 ? (f = &star<R + 1>, 0) : 0), ...);
  return f;
}

record run_stencil(const context& ctx) {
  const auto& world = ctx.world;
  const index_t n = ctx.args.integer("n");
  const int radius = static_cast<int>(ctx.args.integer("radius"));
  const long long iterations = ctx.args.integer("iterations");
  const bool overlap = ctx.args.flag("overlap");

  agree_or_throw<usage_error>(
      world, n > 2 * radius,
      fmt::format("--n {} leaves no interior for radius {}: need n > 2R", n, radius));
  const decomposition dec = decompose(world, {n, n}, ctx.args.text("grid"));
  bool thick = true;
  for (int d = 0; d < 2; ++d) {
    if (dec.grid()[d] > 1 && n / dec.grid()[d] < radius) thick = false;
  }
  agree_or_throw<usage_error>(
      world, thick,
      fmt::format("rank grid {} over n = {} gives blocks thinner than the radius {}",
                  dec.grid_text(), n, radius));

  // Weights of the star: +-1/(2kR) at distance k (PRK).
  std::array<double, 10> w{};
  for (int k = 1; k <= radius; ++k) w[static_cast<std::size_t>(k)] = 1.0 / (2.0 * k * radius);

  field in(dec, radius);
  field out(dec, 0);
  in.fill([](const std::array<index_t, 2>& g) { return static_cast<double>(g[0] + g[1]); });
  halo_exchange<double, 2> halo(world, in, {.width = radius});

  // The points whose star lies inside the grid, in local indices.
  const auto& s = dec.local_start();
  const auto& c = in.interior_shape();
  local_box<2> active;
  for (std::size_t d = 0; d < 2; ++d) {
    active.lo[d] = std::clamp<index_t>(radius - s[d], 0, c[d]);
    active.hi[d] = std::clamp<index_t>(n - radius - s[d], 0, c[d]);
  }
  const auto split = split_for_overlap<2>(active, radius);
  const star_function apply = pick_star(radius, std::make_integer_sequence<int, 9>{});

  phase_timer timer;
  double start = 0;
  double* ip = in.storage().data();
  const index_t rows = c[0];
  const index_t cols = c[1];
  const index_t stride = in.strides()[0];
  const index_t first = in.offset({0, 0});
  for (long long iter = 0; iter <= iterations; ++iter) {
    if (iter == 1) {
      world.barrier();
      timer.clear();
      start = now();
    }
    if (overlap) {
      auto pending = halo.start();
      {
        auto t = timer.time("compute");
        apply(in, out, split.inner, w);
      }
      {
        auto t = timer.time("communication");
        pending.get();
      }
      auto t = timer.time("compute");
      for (const auto& b : split.shell) apply(in, out, b, w);
    } else {
      {
        auto t = timer.time("communication");
        halo.exchange();
      }
      auto t = timer.time("compute");
      apply(in, out, active, w);
    }
    auto t = timer.time("compute");
#pragma omp parallel for schedule(static) default(none) shared(ip, rows, cols, stride, first)
    for (index_t i = 0; i < rows; ++i) {
      double* row = ip + first + i * stride;
#pragma omp simd
      for (index_t j = 0; j < cols; ++j) row[j] += 1.0;
    }
  }
  const double local_time = iterations > 0 ? now() - start : 0.0;

  // Validation: the L1 norm of out over the active points, per point.
  double local_norm = 0;
  for (index_t i = active.lo[0]; i < active.hi[0]; ++i) {
    for (index_t j = active.lo[1]; j < active.hi[1]; ++j) local_norm += std::abs(out(i, j));
  }
  const double active_points = static_cast<double>((n - 2 * radius) * (n - 2 * radius));
  const double norm = world.allreduce(local_norm, op::sum) / active_points;
  const double reference = 2.0 * static_cast<double>(iterations + 1);
  const double rel = std::abs(norm - reference) / reference;
  const double epsilon = 1e-8;

  record rec;
  rec.kernel = "stencil";
  rec.phases = summarize(world, timer);
  const double slowest = summarize(world, "iterations", local_time).max;
  const double avg = slowest / static_cast<double>(iterations);
  const double flops = (2.0 * (4 * radius + 1) + 1.0) * active_points;
  rec.metrics.push_back({"rate", flops / avg / 1e6, "MFlop/s", true,
                         "(2*(4R+1)+1) * (n-2R)^2 / (slowest rank's time per iteration)"});
  rec.metrics.push_back({"time_per_iteration", avg, "s", false, "slowest rank"});
  rec.metrics.push_back({"bandwidth", bytes_per_point * active_points / avg / 1e9, "GB/s", true,
                         "40 B per point (out r+w, in r, in += 1 r+w) * (n-2R)^2 / time"});
  rec.extra["bytes_per_point"] = bytes_per_point;
  rec.extra["rank_grid"] = dec.grid_text();
  rec.extra["overlap"] = overlap;
  rec.check.passed = rel <= epsilon;
  rec.check.method = "L1 norm of out per interior point against its closed form 2*(iterations+1)";
  rec.check.detail =
      fmt::format("norm {:.17g}, expected {:.17g}, relative error {:.3g} (limit {:g})", norm,
                  reference, rel, epsilon);
  return rec;
}

}  // namespace

kernel make_stencil() {
  return {
      "stencil",
      "PRK star stencil of radius R with halo exchange over a 2-D rank grid",
      {
          {"n", param_type::integer, "1000", "grid points per axis", 3, {}, {}},
          {"radius", param_type::integer, "2", "stencil radius R", 1, 9, {}},
          {"iterations",
           param_type::integer,
           "10",
           "timed iterations (one more untimed)",
           1,
           {},
           {}},
          {"grid", param_type::text, "auto", "rank grid, e.g. 2x1 (or auto)", {}, {}, {}},
          {"overlap",
           param_type::flag,
           "false",
           "overlap the halo exchange with the interior computation",
           {},
           {},
           {}},
      },
      run_stencil,
  };
}

}  // namespace weft::kernels
