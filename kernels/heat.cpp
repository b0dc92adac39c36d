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
// P.xdmf (io::snapshot_series, every --snapshot-every steps); P.ckpt.NNNNNNNN.h5
// (io::checkpoint, every --checkpoint-every steps, the newest --keep-checkpoints kept;
// --restart resumes from the newest intact one with the same physical parameters);
// P.final.h5. SIGTERM or SIGUSR1 (Slurm's warning before a time limit): stop_request
// agrees on it after a step, every rank checkpoints that step and exits with code 75.
//
// Validation: a generated field is an eigenmode of the discrete Laplacian, so after s
// steps it is exactly g^s times the initial field (g = 1 - alpha dt lambda); a field read
// from a file must keep the maximum principle (and, periodic, its total).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numbers>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "rank_grid.hpp"
#include "registry.hpp"
#include "weft/core/error.hpp"
#include "weft/core/progress.hpp"
#include "weft/core/stop.hpp"
#include "weft/core/timer.hpp"
#include "weft/grid/dist_array.hpp"
#include "weft/grid/halo.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/checkpoint.hpp"
#include "weft/io/file.hpp"
#include "weft/io/snapshots.hpp"

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
  std::string grid;
  json parameters;
  // What a checkpoint must match to be resumed from.
  [[nodiscard]] std::string fingerprint() const {
    json f = json::object();
    f["shape"] = shape;
    f["input"] = input;
    f["boundary"] = periodic ? "periodic" : "dirichlet";
    f["boundary_value"] = boundary_value;
    f["alpha"] = alpha;
    f["dt"] = dt;
    return f.dump();
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
        halo_(world, u_, options()),
        checkpoint_(world, {.prefix = s_.prefix,
                            .keep = static_cast<int>(s_.keep),
                            .fingerprint = s_.fingerprint(),
                            .parameters = s_.parameters}) {
    checkpoint_.add("field", u_);  // u_ always holds the current field (step swaps buffers)
  }

  record run();

 private:
  grid::halo_options options() const {
    grid::halo_options o;
    for (std::size_t d = 0; d < N; ++d) o.periodic[d] = s_.periodic;
    return o;
  }
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
  void snapshot(long long step) {
    if (series_) series_->write(step, static_cast<double>(step) * s_.dt, u_);
  }
  void write_final();
  // Collective: the smallest and largest value and the sum of u over every rank's cells.
  struct field_range {
    double lo, hi, sum;
  };
  field_range global_range() const;

  const comm_ref& world_;
  settings s_;
  field u_;
  field v_;
  grid::halo_exchange<double, N> halo_;
  io::checkpoint checkpoint_;
  std::optional<io::snapshot_series> series_;
  double initial_min_ = 0;
  double initial_max_ = 0;
  double initial_sum_ = 0;
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
  const index_t rows = c[0];
  const index_t s0 = st[0];
  const index_t s1 = st[1];
  const index_t n1 = c[1];
  const index_t n2 = N == 3 ? c[N - 1] : 1;
#pragma omp parallel for schedule(static) default(none) \
    shared(up, vp, rows, s0, s1, n1, n2, k, centre)
  for (index_t i = 0; i < rows; ++i) {
    for (index_t j = 0; j < n1; ++j) {
      if constexpr (N == 2) {
        const index_t o = i * s0 + j;
        const double sum = (up[o - s0] + up[o + s0]) + (up[o - 1] + up[o + 1]);
        vp[o] = up[o] + k * (sum - centre * up[o]);
      } else {
        const index_t row = i * s0 + j * s1;
#pragma omp simd
        for (index_t l = 0; l < n2; ++l) {
          const index_t o = row + l;
          const double sum =
              (up[o - s0] + up[o + s0]) + (up[o - s1] + up[o + s1]) + (up[o - 1] + up[o + 1]);
          vp[o] = up[o] + k * (sum - centre * up[o]);
        }
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

  const field_range r = global_range();
  initial_min_ = s_.periodic ? r.lo : std::min(r.lo, s_.boundary_value);
  initial_max_ = s_.periodic ? r.hi : std::max(r.hi, s_.boundary_value);
  initial_sum_ = r.sum;
  return restored.value_or(0);
}

template <std::size_t N>
typename simulation<N>::field_range simulation<N>::global_range() const {
  double lo = std::numeric_limits<double>::max();
  double hi = std::numeric_limits<double>::lowest();
  double sum = 0;
  u_.for_each([&](const index&, double x) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    sum += x;
  });
  return {world_.allreduce(lo, op::min), world_.allreduce(hi, op::max),
          world_.allreduce(sum, op::sum)};
}

template <std::size_t N>
void simulation<N>::write_final() {
  io::output_file out(world_, s_.with_suffix(".final.h5"), true, s_.parameters);
  io::write_block(out.create_dataset("/field", io::element_type::f64, s_.shape), u_);
  out.commit();
}

template <std::size_t N>
record simulation<N>::run() {
  stop_request stop(world_);
  const long long first = initialise();
  phase_timer timer;
  progress bar(world_, first, s_.steps, {.label = "heat", .unit = "steps"});
  if (s_.snapshot_every > 0) {
    auto t = timer.time("io");
    series_.emplace(
        world_, s_.with_suffix(".h5"), s_.shape,
        io::snapshot_options{
            .attribute = "temperature", .resume = s_.restart, .parameters = s_.parameters});
    if (first == 0) snapshot(0);
  }
  long long stepped = first;
  const double start = now();
  while (stepped < s_.steps) {
    {
      auto t = timer.time("compute");
      step();
    }
    ++stepped;
    const bool stopping = stop.agreed() != 0 && stepped < s_.steps;
    {
      auto t = timer.time("io");
      if (s_.snapshot_every > 0 && stepped % s_.snapshot_every == 0) snapshot(stepped);
      const bool due = s_.checkpoint_every > 0 && stepped % s_.checkpoint_every == 0;
      if (due || stopping) (void)checkpoint_.write(stepped);
    }
    if (stopping) {
      bar.interrupted();
      stop.stopped(stepped, s_.steps, "heat",
                   fmt::format("checkpoint {} written; rerun with --restart to resume",
                               checkpoint_.path_of(stepped).string()));
    }
    bar.update(stepped);
    if (s_.pace_ms > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(s_.pace_ms));
    }
  }
  const double elapsed = now() - start;
  {
    auto t = timer.time("io");
    write_final();
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
    const auto [lo, hi, sum] = global_range();
    const double scale = std::max({std::abs(initial_min_), std::abs(initial_max_), 1e-300});
    const double slack = 1e-12 * scale;
    rec.check.passed = lo >= initial_min_ - slack && hi <= initial_max_ + slack;
    rec.check.method = "maximum principle: the field stays within its initial and boundary range";
    rec.check.detail = fmt::format("range [{:.17g}, {:.17g}] within [{:.17g}, {:.17g}]", lo, hi,
                                   initial_min_, initial_max_);
    if (s_.periodic) {
      const double tol =
          1e-12 * scale * static_cast<double>(cells) * static_cast<double>(s_.steps + 1);
      const bool kept = std::abs(sum - initial_sum_) <= tol;
      rec.check.passed = rec.check.passed && kept;
      rec.check.method += "; periodic: total heat conserved";
      rec.check.detail += fmt::format("; total {:.17g}, initially {:.17g}", sum, initial_sum_);
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

  std::string problem;
  try {
    if (s.input.empty()) {
      s.shape = parse_extents(a.text("shape"), "--shape");
    } else {
      (void)io::parse_dataset_ref(s.input, "--input");
    }
  } catch (const usage_error& e) {
    problem = e.what();
  }
  agree_or_throw<usage_error>(world, problem.empty(), problem);
  if (!s.input.empty()) {
    // Collective: rank 0 checks the file; every rank throws the same input_error.
    const auto in = io::open_input(world, io::parse_dataset_ref(s.input, "--input"), 3);
    s.shape = in.info.shape;
  }
  const auto axes = s.shape.size();
  agree_or_throw<input_error>(world, axes == 2 || axes == 3,
                              fmt::format("heat needs a 2-D or 3-D field, not {}-D", axes));
  const double limit = 1.0 / (2.0 * static_cast<double>(axes) * s.alpha);
  s.dt = a.real("dt") > 0 ? a.real("dt") : 0.5 * limit;
  agree_or_throw<usage_error>(
      world, s.dt <= limit,
      fmt::format(
          "--dt {:g} is unstable: explicit {}-D diffusion needs dt <= 1/(2*{}*alpha) = {:g}", s.dt,
          axes, axes, limit));
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
           .help = "start from an HDF5 dataset FILE:/path (none: a generated field)"},
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
          {.name = "checkpoint-every",
           .type = param_type::integer,
           .default_value = "100",
           .help = "write a checkpoint every K steps (0: only when stopped)",
           .min = 0},
          {.name = "keep-checkpoints",
           .type = param_type::integer,
           .default_value = "2",
           .help = "checkpoints kept (newest)",
           .min = 1},
          {.name = "output",
           .type = param_type::text,
           .default_value = "heat",
           .help = "prefix of the output files (folder must exist)"},
          {.name = "restart",
           .type = param_type::flag,
           .default_value = "false",
           .help = "resume from the newest complete checkpoint under the prefix"},
          {.name = "grid",
           .type = param_type::text,
           .default_value = "auto",
           .help = "rank grid, e.g. 2x1 (or auto)"},
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
