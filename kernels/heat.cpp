// heat: explicit heat diffusion on a 2-D or 3-D field, the long-running simulation.
//
// u' = u + alpha dt (sum of the 2N neighbours - 2N u) per step (grid spacing 1), from an
// HDF5 dataset (--input FILE:/path) or a generated field, with Dirichlet (--boundary-value
// outside the field) or periodic boundaries; dt <= 1 / (2 N alpha) for stability. The
// field is decomposed over a Cartesian rank grid with a halo of width 1. Every cell is
// updated by the same expression in the same order on any rank grid, so the final field
// (field_hash) has the same bits on any layout and after any stop and --restart.
//
// Everything but the physics is a library facility, under the --output prefix P: P.h5 and
// P.xdmf (io::snapshot_series); P.ckpt.NNNNNNNN.h5 (io::checkpoint; --restart resumes
// from the newest intact one with the same physical parameters); P.final.h5. io::step_loop
// checkpoints every --checkpoint-every steps and, on SIGTERM or SIGUSR1 agreed after a
// step, checkpoints that step and exits with code 75.
//
// Validation: a generated field is an eigenmode of the discrete Laplacian, so after s
// steps it is exactly g^s times the initial field (g = 1 - alpha dt lambda); a field read
// from a file must keep the maximum principle (and, periodic, its total).
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "rank_grid.hpp"
#include "registry.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"
#include "weft/grid/dist_array.hpp"
#include "weft/grid/halo.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/checkpoint.hpp"
#include "weft/io/file.hpp"
#include "weft/io/snapshots.hpp"
#include "weft/io/step_loop.hpp"

namespace weft::kernels {

namespace {

namespace fs = std::filesystem;

struct settings {
  extents shape;
  std::string input;
  bool periodic = false;
  double boundary_value = 0;
  double alpha = 1;
  double dt = 0;
  long long steps = 0;
  long long snapshot_every = 0;
  long long checkpoint_every = 0;
  long long keep = 2;
  fs::path prefix;
  bool restart = false;
  double pace_ms = 0;
  json parameters;
  // What a checkpoint must match to be resumed from.
  [[nodiscard]] std::string fingerprint() const {
    return json{{"shape", shape},
                {"input", input},
                {"boundary", periodic ? "periodic" : "dirichlet"},
                {"boundary_value", boundary_value},
                {"alpha", alpha},
                {"dt", dt}}
        .dump();
  }
  [[nodiscard]] fs::path with_suffix(const std::string& suffix) const {
    return prefix.parent_path() / (prefix.filename().string() + suffix);
  }
};

template <std::size_t N>
class simulation {
 public:
  using field = grid::dist_array<double, N>;
  using index = std::array<index_t, N>;

  simulation(const comm_ref& world, settings s, const grid::decomposition& dec)
      : world_(world),
        s_(std::move(s)),
        u_(dec, 1),
        v_(dec, 1),
        halo_(world, u_, {.periodic = {s_.periodic, s_.periodic, s_.periodic}}),
        checkpoint_(world, {.prefix = s_.prefix,
                            .keep = static_cast<int>(s_.keep),
                            .fingerprint = s_.fingerprint(),
                            .parameters = s_.parameters}) {
    checkpoint_.add("field", u_);  // u_ always holds the current field (step swaps buffers)
  }

  record run();

 private:
  // The generated field: an eigenmode of the discrete Laplacian for these boundaries.
  double mode(const index& g) const {
    double v = 1;
    for (std::size_t d = 0; d < N; ++d) {
      const auto n = static_cast<double>(s_.shape[d]);
      const auto i = static_cast<double>(g[d]);
      v *= s_.periodic ? std::sin(2 * std::numbers::pi * (i + 0.5) / n)
                       : std::sin(std::numbers::pi * (i + 1) / (n + 1));
    }
    return v;
  }
  // Its eigenvalue: the field shrinks by 1 - alpha dt lambda per step.
  double eigenvalue() const {
    double l = 0;
    for (std::size_t d = 0; d < N; ++d) {
      const auto n = static_cast<double>(s_.shape[d]);
      const double x =
          s_.periodic ? std::sin(std::numbers::pi / n) : std::sin(std::numbers::pi / (2 * (n + 1)));
      l += 4 * x * x;
    }
    return l;
  }

  void step();
  long long initialise();
  void snapshot(long long at) { series_->write(at, static_cast<double>(at) * s_.dt, u_); }

  const comm_ref& world_;
  settings s_;
  field u_;
  field v_;
  grid::halo_exchange<double, N> halo_;
  io::checkpoint checkpoint_;
  std::optional<io::snapshot_series> series_;
  grid::value_range initial_;  // the field's range (and the boundary value) at the start
};

template <std::size_t N>
void simulation<N>::step() {
  halo_.exchange();
  const double k = s_.alpha * s_.dt;
  const double centre = 2.0 * N;
  const auto& c = u_.interior_shape();
  const auto& st = u_.strides();
  const double* up = u_.storage().data() + u_.offset(index{});
  double* vp = v_.storage().data() + v_.offset(index{});
  // Rows along the last (contiguous) axis; 3-D has a middle axis of stride s1.
  const index_t rows = c[0];
  const index_t s0 = st[0];
  const index_t s1 = N == 3 ? st[1] : 0;
  const index_t n1 = N == 3 ? c[1] : 1;
  const index_t n2 = c[N - 1];
#pragma omp parallel for schedule(static) default(none) \
    shared(up, vp, rows, s0, s1, n1, n2, k, centre)
  for (index_t i = 0; i < rows; ++i) {
    for (index_t j = 0; j < n1; ++j) {
      const index_t row = i * s0 + j * s1;
#pragma omp simd
      for (index_t l = 0; l < n2; ++l) {
        const index_t o = row + l;
        double sum = up[o - s0] + up[o + s0];
        if constexpr (N == 3) sum += up[o - s1] + up[o + s1];
        sum += up[o - 1] + up[o + 1];
        vp[o] = up[o] + k * (sum - centre * up[o]);
      }
    }
  }
  std::swap(u_, v_);
}

template <std::size_t N>
long long simulation<N>::initialise() {
  // Dirichlet: every halo cell past the field's edge holds the boundary value for good
  // (exchanges never touch those cells).
  const double outside = s_.periodic ? 0.0 : s_.boundary_value;
  for (double& x : u_.storage()) x = outside;
  for (double& x : v_.storage()) x = outside;

  const std::optional<long long> restored = s_.restart ? checkpoint_.restore() : std::nullopt;
  // Without a checkpoint (none asked for, or none written yet) the initial field.
  if (!restored && !s_.input.empty()) {
    const auto in = io::open_input(world_, io::parse_dataset_ref(s_.input, "--input"), 3);
    io::read_block(in.d, u_);
  } else if (!restored) {
    u_.fill([this](const index& g) { return mode(g); });
  }

  initial_ = grid::global_range(world_, u_);
  if (!s_.periodic) initial_.min = std::min(initial_.min, s_.boundary_value);
  if (!s_.periodic) initial_.max = std::max(initial_.max, s_.boundary_value);
  return restored.value_or(0);
}

template <std::size_t N>
record simulation<N>::run() {
  phase_timer timer;
  io::step_loop loop(world_, {.steps = s_.steps,
                              .checkpoints = &checkpoint_,
                              .checkpoint_every = s_.checkpoint_every,
                              .label = "heat",
                              .timer = &timer,
                              .pause_ms = s_.pace_ms});
  const long long first = initialise();
  if (s_.snapshot_every > 0) {
    auto t = timer.time("io");
    series_.emplace(
        world_, s_.with_suffix(".h5"), s_.shape,
        io::snapshot_options{
            .attribute = "temperature", .resume = s_.restart, .parameters = s_.parameters});
    if (first == 0) snapshot(0);
  }
  const double start = now();
  loop.run(first, [&](long long at) {
    {
      auto t = timer.time("compute");
      step();
    }
    if (s_.snapshot_every > 0 && (at + 1) % s_.snapshot_every == 0) {
      auto t = timer.time("io");
      snapshot(at + 1);
    }
  });
  const double elapsed = now() - start;
  {
    auto t = timer.time("io");
    io::write_array(world_, {s_.with_suffix(".final.h5").string(), "/field"}, u_, true,
                    s_.parameters);
  }

  // Validation.
  const long long cells = u_.decomposition().global_size();
  record rec;
  rec.check.passed = true;
  if (s_.input.empty()) {
    const double g = 1.0 - s_.alpha * s_.dt * eigenvalue();
    const double factor = std::pow(g, static_cast<double>(s_.steps));
    double err = 0;
    u_.for_each(
        [&](const index& at, double x) { err = std::max(err, std::abs(x - factor * mode(at))); });
    err = world_.allreduce(err, op::max);
    const double limit = 1e-12 * static_cast<double>(s_.steps + 1);
    rec.check.passed = err <= limit;
    rec.check.method = "generated eigenmode against its exact decay (1 - alpha*dt*lambda)^steps";
    rec.check.detail = fmt::format("max abs error {:.3g} (limit {:.3g}), decay factor {:.17g}", err,
                                   limit, factor);
  } else {
    const auto [lo, hi, sum] = grid::global_range(world_, u_);
    const double scale = std::max({std::abs(initial_.min), std::abs(initial_.max), 1e-300});
    const double slack = 1e-12 * scale;
    rec.check.passed = lo >= initial_.min - slack && hi <= initial_.max + slack;
    rec.check.method = "maximum principle: the field stays within its initial and boundary range";
    rec.check.detail = fmt::format("range [{:.17g}, {:.17g}] within [{:.17g}, {:.17g}]", lo, hi,
                                   initial_.min, initial_.max);
    if (s_.periodic) {
      const double tol =
          1e-12 * scale * static_cast<double>(cells) * static_cast<double>(s_.steps + 1);
      const bool kept = std::abs(sum - initial_.sum) <= tol;
      rec.check.passed = rec.check.passed && kept;
      rec.check.method += "; periodic: total heat conserved";
      rec.check.detail += fmt::format("; total {:.17g}, initially {:.17g}", sum, initial_.sum);
    }
  }

  rec.kernel = "heat";
  rec.phases = summarize(world_, timer);
  const double slowest = summarize(world_, "steps", elapsed).max;
  const long long done = s_.steps - first;
  if (done > 0) {
    rec.metrics.push_back({"rate",
                           static_cast<double>(cells) * static_cast<double>(done) / slowest / 1e6,
                           "MUPS", true,
                           "cells * steps / (slowest rank's time), snapshots and "
                           "checkpoints included"});
  }
  rec.metrics.push_back({"steps", static_cast<double>(s_.steps), "", true, "total steps"});
  // Order-independent, so any decomposition of the same field gives the same value.
  rec.extra["field_hash"] = fmt::format("{:016x}", grid::content_hash(world_, u_));
  rec.extra["resumed_from_step"] = first;
  rec.extra["dt"] = s_.dt;
  rec.extra["rank_grid"] = u_.decomposition().grid_text();
  rec.extra["final"] = s_.with_suffix(".final.h5").string();
  return rec;
}

record run_heat(const context& ctx) {
  const auto& world = ctx.world;
  const auto& a = ctx.args;
  settings s;
  s.input = a.text("input") == "none" ? std::string() : a.text("input");
  s.periodic = a.text("boundary") == "periodic";
  s.boundary_value = a.real("boundary-value");
  s.alpha = a.real("alpha");
  s.steps = a.integer("steps");
  s.snapshot_every = a.integer("snapshot-every");
  s.checkpoint_every = a.integer("checkpoint-every");
  s.keep = a.integer("keep-checkpoints");
  s.prefix = a.text("output");
  s.restart = a.flag("restart");
  s.pace_ms = a.real("pace-ms");
  s.parameters = a.values();

  // Collective: open_input checks the file on rank 0; every rank throws the same error.
  s.shape =
      s.input.empty() ? a.shape("shape") : io::open_input(world, a.dataset("input"), 3).info.shape;
  const auto axes = s.shape.size();
  // These checks give the same answer on every rank: no agreement needed.
  if (axes != 2 && axes != 3) {
    throw input_error(fmt::format("heat needs a 2-D or 3-D field, not {}-D", axes), true);
  }
  const double limit = 1.0 / (2.0 * static_cast<double>(axes) * s.alpha);
  s.dt = a.real("dt") > 0 ? a.real("dt") : 0.5 * limit;
  if (s.dt > limit) {
    throw usage_error(fmt::format("--dt {:g} is unstable: explicit {}-D diffusion needs dt <= "
                                  "1/(2*{}*alpha) = {:g}",
                                  s.dt, axes, axes, limit),
                      true);
  }
  const grid::decomposition dec = decompose(world, s.shape, a.text("grid"), true);
  check_output_prefix(world, s.prefix, "--output");
  if (axes == 2) return simulation<2>(world, std::move(s), dec).run();
  return simulation<3>(world, std::move(s), dec).run();
}

}  // namespace

kernel make_heat() {
  return {
      "heat",
      "explicit 2-D/3-D heat diffusion with snapshots, checkpoints, restart and signals",
      {
          {.name = "shape",
           .type = param_type::text,
           .default_value = "256x256",
           .help = "field size, e.g. 256x256 or 64x64x64"},
          {.name = "input",
           .type = param_type::text,
           .default_value = "none",
           .help = "start from an HDF5 dataset FILE:/path (none: a generated field)",
           .input = true},
          {.name = "boundary",
           .type = param_type::choice,
           .default_value = "dirichlet",
           .help = "boundary condition",
           .choices = {"dirichlet", "periodic"}},
          {.name = "boundary-value",
           .type = param_type::real,
           .default_value = "0",
           .help = "Dirichlet value outside the field"},
          {.name = "alpha",
           .type = param_type::real,
           .default_value = "1",
           .help = "diffusivity",
           .min = 1e-12},
          {.name = "dt",
           .type = param_type::real,
           .default_value = "0",
           .help = "time step (0: half the stability limit 1/(2*N*alpha))",
           .min = 0},
          {.name = "steps",
           .type = param_type::integer,
           .default_value = "1000",
           .help = "time steps in all",
           .min = 0},
          {.name = "snapshot-every",
           .type = param_type::integer,
           .default_value = "0",
           .help = "write a snapshot every K steps (0: none)",
           .min = 0},
          checkpoint_every_param("100", "steps"),
          keep_checkpoints_param(),
          {.name = "output",
           .type = param_type::text,
           .default_value = "heat",
           .help = "prefix of the output files (folder must exist)"},
          restart_param(),
          rank_grid_param(),
          {.name = "pace-ms",
           .type = param_type::real,
           .default_value = "0",
           .help = "pause after each step (demonstrations and tests)",
           .min = 0},
      },
      run_heat,
  };
}

}  // namespace weft::kernels
