// jacobi: a user's own program on weft — a 2-D Jacobi iteration for Laplace's equation on
// an N x N plate (top edge held at 1, the others at 0) with halo exchange, checkpoints
// every 100 sweeps and a clean stop on SIGTERM/SIGUSR1 (exit 75; rerun with --restart)
// by io::step_loop, progress lines, and the final field written atomically to
// jacobi.h5:/u.
//
//   mpirun -n 4 ./jacobi 256 2000 [--restart]
//
// Checks its answer: the largest change of the last sweep must have fallen below the
// first one's, and every value must lie in [0, 1] (the maximum principle).
#include <weft/weft.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using field = weft::grid::dist_array<double, 2>;

// One sweep: v = mean of u's four neighbours; returns this rank's largest change.
double sweep(const field& u, field& v) {
  const auto n = u.interior_shape();
  double change = 0;
#pragma omp parallel for reduction(max : change) default(none) shared(u, v, n)
  for (weft::index_t i = 0; i < n[0]; ++i) {
    for (weft::index_t j = 0; j < n[1]; ++j) {
      const double x = 0.25 * (u(i - 1, j) + u(i + 1, j) + u(i, j - 1) + u(i, j + 1));
      change = std::max(change, std::abs(x - u(i, j)));
      v(i, j) = x;
    }
  }
  return change;
}

// Dirichlet edges: halo cells past the plate's edge hold the boundary values for good.
void set_edges(field& a) {
  const auto& start = a.decomposition().local_start();
  const auto n = a.interior_shape();
  const auto size = a.decomposition().global_shape();
  for (weft::index_t j = -1; j <= n[1]; ++j) {
    if (start[0] == 0) a(-1, j) = 1.0;                 // the hot top edge
    if (start[0] + n[0] == size[0]) a(n[0], j) = 0.0;  // bottom
  }
}

}  // namespace

int main(int argc, char** argv) {
  weft::set_program("jacobi", "1.0.0");
  weft::environment env(argc, argv);
  return weft::environment::run([&]() -> int {
    const auto world = weft::environment::world();
    if (argc < 3) throw weft::usage_error("usage: jacobi N SWEEPS [--restart]");
    const long n = std::atol(argv[1]);
    const long long sweeps = std::atoll(argv[2]);
    const bool restart = argc > 3 && std::string(argv[3]) == "--restart";
    if (n < 3 || sweeps < 1) throw weft::usage_error("N must be at least 3 and SWEEPS at least 1");

    const auto dec = weft::grid::decomposition::over(world, {n, n});
    field u(dec, 1), v(dec, 1);
    set_edges(u);
    set_edges(v);
    // The plan follows the array object: after std::swap(u, v) it exchanges the new u.
    weft::grid::halo_exchange<double, 2> halo(world, u);
    weft::io::checkpoint ckpt(
        world, {.prefix = "jacobi", .keep = 2, .fingerprint = "n=" + std::to_string(n)});
    ckpt.add("u", u);
    double first_change = 0;
    ckpt.add("first_change", first_change);
    // Checkpoints every 100 sweeps and after the last; SIGTERM/SIGUSR1 checkpoint and
    // exit 75; progress lines with rate and ETA.
    weft::io::step_loop loop(world, {.steps = sweeps,
                                     .checkpoints = &ckpt,
                                     .checkpoint_every = 100,
                                     .label = "jacobi",
                                     .unit = "sweeps"});
    const long long first = restart ? ckpt.restore().value_or(0) : 0;
    double change = 0;
    loop.run(first, [&](long long s) {
      halo.exchange();
      change = world.allreduce(sweep(u, v), weft::op::max);
      std::swap(u, v);  // u holds the newest field
      if (s == 0) first_change = change;
    });

    weft::io::output_file out(world, "jacobi.h5", true);
    (void)weft::io::write_block(out.create_dataset("/u", weft::io::element_type::f64, {n, n}), u);
    out.commit();

    double lo = 1, hi = 0;
    const auto m = u.interior_shape();
    for (weft::index_t i = 0; i < m[0]; ++i) {
      for (weft::index_t j = 0; j < m[1]; ++j) {
        lo = std::min(lo, u(i, j));
        hi = std::max(hi, u(i, j));
      }
    }
    lo = world.allreduce(lo, weft::op::min);
    hi = world.allreduce(hi, weft::op::max);
    const bool passed = lo >= 0 && hi <= 1 && change < first_change;
    if (world.rank() == 0) {
      std::printf(
          "jacobi: %ld x %ld, %lld sweeps on %d ranks: last change %.3g (first %.3g), "
          "values in [%.3g, %.3g]: %s\n",
          n, n, sweeps, world.size(), change, first_change, lo, hi, passed ? "passed" : "FAILED");
    }
    return passed ? 0 : 1;
  });
}
