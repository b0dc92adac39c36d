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
#include "weft/core/clones.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"
#include "weft/grid/dist_array.hpp"
#include "weft/grid/halo.hpp"

namespace weft::kernels {

namespace {

using field = grid::dist_array<double, 2>;

// Memory traffic per point per iteration (see the header comment).
constexpr double bytes_per_point = 40.0;

// Output rows computed per pass of the j loop. A row of `in` loaded once serves every
// output row of the pass whose star reaches it, so the sweep reads each cached row of
// `in` about (2R + U) / U times instead of 2R + 1 times; U = 4 measured best here.
constexpr index_t rows_per_pass = 4;

// out(i + u, j) += star(in)(i + u, j) for u < U and j in [j0, j1); c and o point at row
// i of in and out. Inlined into star's clones, so it is compiled for each one's ISA.
template <int R, int U>
[[gnu::always_inline]] inline void star_rows(const double* __restrict c, double* __restrict o,
                                             index_t in_row, index_t out_row, index_t j0,
                                             index_t j1, const std::array<double, R + 1>& wk) {
#pragma omp simd
  for (index_t j = j0; j < j1; ++j) {
#pragma GCC unroll 16
    for (int u = 0; u < U; ++u) {
      const double* cu = c + u * in_row;
      double s = 0;
#pragma GCC unroll 16
      for (int k = 1; k <= R; ++k) {
        const double wt = wk[static_cast<std::size_t>(k)];
        // The weights are antisymmetric (+-1/(2kR)): one product per pair of points.
        s += wt * (cu[j + k] - cu[j - k]) + wt * (cu[j + k * in_row] - cu[j - k * in_row]);
      }
      o[u * out_row + j] += s;
    }
  }
}

// out += star(in) over the local box b; R fixed at compile time so the loops over the
// radius and the rows of a pass unroll and the loop over j vectorises. Cloned for AVX2
// (4-wide vectors and FMA) with a baseline fallback chosen at load time.
template <int R>
WEFT_SIMD_CLONES void star(const field& in, field& out, const grid::local_box<2>& b,
                           const std::array<double, 10>& w) {
  if (b.empty()) return;
  const index_t in_row = in.strides()[0];
  const index_t out_row = out.strides()[0];
  const double* ip = in.storage().data() + in.offset({0, 0});
  double* op = out.storage().data() + out.offset({0, 0});
  const index_t i0 = b.lo[0];
  const index_t i1 = b.hi[0];
  const index_t j0 = b.lo[1];
  const index_t j1 = b.hi[1];
  std::array<double, R + 1> wk{};
  for (int k = 1; k <= R; ++k) wk[static_cast<std::size_t>(k)] = w[static_cast<std::size_t>(k)];
  const index_t passes = (i1 - i0 + rows_per_pass - 1) / rows_per_pass;
#pragma omp parallel for schedule(static) default(none) \
    shared(ip, op, wk, in_row, out_row, i0, i1, j0, j1, passes)
  for (index_t p = 0; p < passes; ++p) {
    const index_t i = i0 + p * rows_per_pass;
    if (i + rows_per_pass <= i1) {
      star_rows<R, rows_per_pass>(ip + i * in_row, op + i * out_row, in_row, out_row, j0, j1, wk);
    } else {
      for (index_t r = i; r < i1; ++r) {
        star_rows<R, 1>(ip + r * in_row, op + r * out_row, in_row, out_row, j0, j1, wk);
      }
    }
  }
}

using star_function = void (*)(const field&, field&, const grid::local_box<2>&,
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
  const grid::decomposition dec = decompose(world, {n, n}, ctx.args.text("grid"));
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
  grid::halo_exchange<double, 2> halo(world, in, {.width = radius});

  // The points whose star lies inside the grid, in local indices.
  const auto& s = dec.local_start();
  const auto& c = in.interior_shape();
  grid::local_box<2> active;
  for (std::size_t d = 0; d < 2; ++d) {
    active.lo[d] = std::clamp<index_t>(radius - s[d], 0, c[d]);
    active.hi[d] = std::clamp<index_t>(n - radius - s[d], 0, c[d]);
  }
  const auto split = split_for_overlap<2>(active, radius, halo.receiving_faces());
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
  check_closed_form(rec, "norm", norm, reference, 1e-8,
                    "L1 norm of out per interior point against its closed form 2*(iterations+1)");
  return rec;
}

}  // namespace

kernel make_stencil() {
  return {
      "stencil",
      "PRK star stencil of radius R with halo exchange over a 2-D rank grid",
      {
          {.name = "n",
           .type = param_type::integer,
           .default_value = "1000",
           .help = "grid points per axis",
           .min = 3},
          {.name = "radius",
           .type = param_type::integer,
           .default_value = "2",
           .help = "stencil radius R",
           .min = 1,
           .max = 9},
          {.name = "iterations",
           .type = param_type::integer,
           .default_value = "10",
           .help = "timed iterations (one more untimed)",
           .min = 1},
          {.name = "grid",
           .type = param_type::text,
           .default_value = "auto",
           .help = "rank grid, e.g. 2x1 (or auto)"},
          {.name = "overlap",
           .type = param_type::flag,
           .default_value = "false",
           .help = "overlap the halo exchange with the interior computation"},
      },
      run_stencil,
  };
}

}  // namespace weft::kernels
