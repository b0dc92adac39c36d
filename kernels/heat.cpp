// heat: explicit heat diffusion on a 2-D or 3-D field, the long-running simulation.
//
// u' = u + alpha dt (sum of the 2N neighbours - 2N u) per step (grid spacing 1), on a field
// read from an HDF5 dataset (--input FILE:/path) or generated, with Dirichlet (fixed
// --boundary-value outside the field) or periodic boundaries; dt must satisfy the
// stability limit dt <= 1 / (2 N alpha). The field is decomposed over a Cartesian rank
// grid; a halo of width 1 is exchanged every step.
//
// Results are reproducible bit for bit: every cell is updated by the same expression in
// the same order whatever the rank grid, so the final field (and its hash, reported as
// field_hash) is identical for every rank count and grid, and after any interruption and
// --restart.
//
// Outputs under the --output prefix P: P.h5 (snapshots every --snapshot-every steps as
// /snapshots/step_NNNNNNNN) with P.xdmf beside it for ParaView/VisIt; P.ckpt.NNNNNNNN.h5
// checkpoints every --checkpoint-every steps, each published atomically (the newest
// --keep-checkpoints are kept); P.final.h5 with the final field. --restart resumes from the
// newest complete checkpoint written with the same physical parameters.
//
// SIGTERM or SIGUSR1 (what Slurm sends before a time limit): the handler only sets a flag;
// ranks agree on it after every step (one small allreduce), so all stop after the same
// step, write a checkpoint and exit with code 75.
//
// Validation: a generated field is an eigenmode of the discrete Laplacian, so the exact
// answer after s steps is g^s times the initial field (g = 1 - alpha dt lambda); a field
// read from a file is checked against the maximum principle (and, periodic, conservation
// of the total).
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <numbers>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "rank_grid.hpp"
#include "registry.hpp"
#include "weft/base/staged_file.hpp"
#include "weft/core/error.hpp"
#include "weft/core/log.hpp"
#include "weft/core/progress.hpp"
#include "weft/core/stop.hpp"
#include "weft/core/timer.hpp"
#include "weft/grid/dist_array.hpp"
#include "weft/grid/halo.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/checkpoint.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"

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
  [[nodiscard]] fs::path checkpoint(long long step) const {
    return with_suffix(fmt::format(".ckpt.{:08d}.h5", step));
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
  void write_snapshot(long long step);
  void write_xdmf(long long last_step) const;
  void write_final();
  [[nodiscard]] std::string field_hash() const;
  template <class F>
  void for_interior(const field& a, F f) const;
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
  double initial_min_ = 0;
  double initial_max_ = 0;
  double initial_sum_ = 0;
};

template <std::size_t N>
template <class F>
void simulation<N>::for_interior(const field& a, F f) const {
  const auto& c = a.interior_shape();
  index i{};
  if constexpr (N == 2) {
    for (i[0] = 0; i[0] < c[0]; ++i[0])
      for (i[1] = 0; i[1] < c[1]; ++i[1]) f(i);
  } else {
    for (i[0] = 0; i[0] < c[0]; ++i[0])
      for (i[1] = 0; i[1] < c[1]; ++i[1])
        for (i[2] = 0; i[2] < c[2]; ++i[2]) f(i);
  }
}

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

  long long first_step = 0;
  const std::optional<long long> restored = s_.restart ? checkpoint_.restore() : std::nullopt;
  if (restored) {
    first_step = *restored;
    log::info("heat: resuming from {} at step {}", s_.checkpoint(first_step).string(), first_step);
  } else if (s_.restart) {
    log::info("heat: no checkpoint under {} yet; starting at step 0", s_.prefix.string());
  } else if (!s_.input.empty()) {
    const auto in = io::open_input(world_, io::parse_dataset_ref(s_.input, "--input"), 3);
    io::read_block(in.d, u_);
  } else {
    u_.fill([this](const index& g) { return mode(g); });
  }

  const field_range r = global_range();
  initial_min_ = s_.periodic ? r.lo : std::min(r.lo, s_.boundary_value);
  initial_max_ = s_.periodic ? r.hi : std::max(r.hi, s_.boundary_value);
  initial_sum_ = r.sum;
  return first_step;
}

template <std::size_t N>
typename simulation<N>::field_range simulation<N>::global_range() const {
  double lo = std::numeric_limits<double>::max();
  double hi = std::numeric_limits<double>::lowest();
  double sum = 0;
  for_interior(u_, [&](const index& i) {
    lo = std::min(lo, u_.local(i));
    hi = std::max(hi, u_.local(i));
    sum += u_.local(i);
  });
  return {world_.allreduce(lo, op::min), world_.allreduce(hi, op::max),
          world_.allreduce(sum, op::sum)};
}

template <std::size_t N>
void simulation<N>::write_snapshot(long long step) {
  const fs::path series = s_.with_suffix(".h5");
  // A missing or damaged series (a run killed while writing it) starts afresh.
  int usable = 0;
  if (world_.rank() == 0) {
    try {
      usable = fs::exists(series) && io::open_file_serial(series).valid() ? 1 : 0;
    } catch (const std::exception&) {
      log::warn("heat: {} is damaged; starting a new snapshot series", series.string());
    }
  }
  world_.bcast(usable, 0);
  if (usable == 0 || (step == 0 && !s_.restart)) {
    io::output_file out(world_, series, true, s_.parameters);
    out.commit();
  }
  const io::file f = io::open_file(world_, series, true);
  const std::string name = fmt::format("/snapshots/step_{:08d}", step);
  const bool exists = f.contains(name);
  const io::dataset d =
      exists ? f.open_dataset(name) : f.create_dataset(name, io::element_type::f64, s_.shape);
  io::write_block(d, u_);
  if (!exists) d.write_attribute("time", static_cast<double>(step) * s_.dt);
  if (world_.rank() == 0) write_xdmf(step);
}

template <std::size_t N>
void simulation<N>::write_xdmf(long long last_step) const {
  std::string dims;
  for (std::size_t d = 0; d < N; ++d) dims += (d ? " " : "") + std::to_string(s_.shape[d]);
  const std::string ones = N == 2 ? "1 1" : "1 1 1";
  const std::string zeros = N == 2 ? "0 0" : "0 0 0";
  const std::string h5 = s_.prefix.filename().string() + ".h5";
  std::string x =
      "<?xml version=\"1.0\" ?>\n<Xdmf Version=\"3.0\">\n <Domain>\n"
      "  <Grid Name=\"heat\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
  for (long long st = 0; st <= last_step; st += s_.snapshot_every) {
    x += fmt::format(
        "   <Grid Name=\"step {0}\" GridType=\"Uniform\">\n"
        "    <Time Value=\"{1:.17g}\"/>\n"
        "    <Topology TopologyType=\"{2}DCoRectMesh\" Dimensions=\"{3}\"/>\n"
        "    <Geometry GeometryType=\"ORIGIN_{4}\">\n"
        "     <DataItem Dimensions=\"{2}\" Format=\"XML\">{5}</DataItem>\n"
        "     <DataItem Dimensions=\"{2}\" Format=\"XML\">{6}</DataItem>\n"
        "    </Geometry>\n"
        "    <Attribute Name=\"temperature\" AttributeType=\"Scalar\" Center=\"Node\">\n"
        "     <DataItem Dimensions=\"{3}\" NumberType=\"Float\" Precision=\"8\" "
        "Format=\"HDF\">{7}:/snapshots/step_{0:08d}</DataItem>\n"
        "    </Attribute>\n   </Grid>\n",
        st, static_cast<double>(st) * s_.dt, N, dims, N == 2 ? "DXDY" : "DXDYDZ", zeros, ones, h5);
  }
  x += "  </Grid>\n </Domain>\n</Xdmf>\n";
  write_file_atomically(s_.with_suffix(".xdmf"), x);
}

template <std::size_t N>
void simulation<N>::write_final() {
  io::output_file out(world_, s_.with_suffix(".final.h5"), true, s_.parameters);
  io::write_block(out.create_dataset("/field", io::element_type::f64, s_.shape), u_);
  out.commit();
}

template <std::size_t N>
std::string simulation<N>::field_hash() const {
  // Order-independent, so any decomposition of the same field gives the same value.
  return fmt::format("{:016x}", grid::content_hash(world_, u_));
}

template <std::size_t N>
record simulation<N>::run() {
  stop_request stop(world_);
  const long long first = initialise();
  phase_timer timer;
  progress bar(world_, first, s_.steps, {.label = "heat", .unit = "steps"});
  if (first == 0 && s_.snapshot_every > 0) {
    auto t = timer.time("io");
    write_snapshot(0);
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
      if (s_.snapshot_every > 0 && stepped % s_.snapshot_every == 0) write_snapshot(stepped);
      const bool due = s_.checkpoint_every > 0 && stepped % s_.checkpoint_every == 0;
      if (due || stopping) (void)checkpoint_.write(stepped);
    }
    if (stopping) {
      bar.interrupted();
      stop.stopped(stepped, s_.steps, "heat",
                   fmt::format("checkpoint {} written; rerun with --restart to resume",
                               s_.checkpoint(stepped).string()));
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
    for_interior(u_, [&](const index& i) {
      index gl;
      for (std::size_t d = 0; d < N; ++d) gl[d] = u_.decomposition().local_start()[d] + i[d];
      err = std::max(err, std::abs(u_.local(i) - factor * mode(gl)));
    });
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
  rec.extra["field_hash"] = field_hash();
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
    if (s.prefix.filename().empty()) throw usage_error("--output needs a file name prefix");
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
  const grid::decomposition dec = decompose(world, s.shape, a.text("grid"));
  bool thick = true;
  for (std::size_t d = 0; d < axes; ++d) {
    if ((dec.grid()[d] > 1 || s.periodic) && s.shape[d] / dec.grid()[d] < 1) thick = false;
  }
  agree_or_throw<usage_error>(world, thick,
                              "rank grid " + dec.grid_text() + " leaves some ranks without cells");
  bool dir_ok = true;
  if (world.rank() == 0) {
    const fs::path dir = s.prefix.parent_path().empty() ? fs::path(".") : s.prefix.parent_path();
    std::error_code ec;
    dir_ok = fs::is_directory(dir, ec);
  }
  agree_or_throw<usage_error>(world, dir_ok,
                              "--output " + s.prefix.string() + ": the folder does not exist");
  if (axes == 2) return simulation<2>(world, std::move(s), dec).run();
  return simulation<3>(world, std::move(s), dec).run();
}

}  // namespace

kernel make_heat() {
  return {
      "heat",
      "explicit 2-D/3-D heat diffusion with snapshots, checkpoints, restart and signals",
      {
          {"shape",
           param_type::text,
           "256x256",
           "field size, e.g. 256x256 or 64x64x64",
           {},
           {},
           {}},
          {"input",
           param_type::text,
           "none",
           "start from an HDF5 dataset FILE:/path (none: a generated field)",
           {},
           {},
           {}},
          {"boundary",
           param_type::choice,
           "dirichlet",
           "boundary condition",
           {},
           {},
           {"dirichlet", "periodic"}},
          {"boundary-value",
           param_type::real,
           "0",
           "Dirichlet value outside the field",
           {},
           {},
           {}},
          {"alpha", param_type::real, "1", "diffusivity", 1e-12, {}, {}},
          {"dt",
           param_type::real,
           "0",
           "time step (0: half the stability limit 1/(2*N*alpha))",
           0,
           {},
           {}},
          {"steps", param_type::integer, "1000", "time steps in all", 0, {}, {}},
          {"snapshot-every",
           param_type::integer,
           "0",
           "write a snapshot every K steps (0: none)",
           0,
           {},
           {}},
          {"checkpoint-every",
           param_type::integer,
           "100",
           "write a checkpoint every K steps (0: only when stopped)",
           0,
           {},
           {}},
          {"keep-checkpoints", param_type::integer, "2", "checkpoints kept (newest)", 1, {}, {}},
          {"output",
           param_type::text,
           "heat",
           "prefix of the output files (folder must exist)",
           {},
           {},
           {}},
          {"restart",
           param_type::flag,
           "false",
           "resume from the newest complete checkpoint under the prefix",
           {},
           {},
           {}},
          {"grid", param_type::text, "auto", "rank grid, e.g. 2x1 (or auto)", {}, {}, {}},
          {"pace-ms",
           param_type::real,
           "0",
           "pause after each step (demonstrations and tests)",
           0,
           {},
           {}},
      },
      run_heat,
  };
}

}  // namespace weft::kernels
