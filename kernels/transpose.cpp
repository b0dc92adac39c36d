// transpose: the Parallel Research Kernels' matrix transpose B += A^T, with A and B of
// order n distributed by blocks of columns over the ranks.
//
// Definition (PRK): A(i,j) = n*j + i, B = 0. Each iteration adds A^T to B, then adds 1 to
// every element of A; after iterations + 1 passes B(i,j) = (iterations+1)(n*i + j) +
// iterations (iterations+1)/2 exactly, which the run checks for every element. Rate: 2 * 8
// * n^2 bytes per iteration (A read, B updated, as PRK counts), time = the slowest
// rank's, iteration 0 untimed.
//
// Each rank stores its columns contiguously (column-major block). The piece of A that
// rank r needs from rank s is transposed locally by s (cache-tiled, --tile elements per
// side; 0 turns tiling off), sent (one MPI_Alltoallv, or p - 1 pairwise exchanges with
// --exchange pairwise), and added into B by r with unit stride. A rank's own piece goes
// straight from A into B, and A += 1 is fused into the reads of A, as it may be: each
// element of A is read once per iteration.
#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "registry.hpp"
#include "weft/core/aligned.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"
#include "weft/grid/decomposition.hpp"

namespace weft::kernels {

namespace {

struct columns {
  index_t first;
  index_t count;
};

// Writes the transpose of rows [row0, row0 + rows) of the local column block `a` (n rows,
// `mine` columns, column-major) into `out`, out[jr * mine + il] = a[il * n + row0 + jr],
// and adds 1 to each element of `a` it read (PRK's A += 1, fused to save a sweep: every
// element of A is read by exactly one piece per iteration).
void pack_transposed(aligned_vector<double>& a, index_t n, index_t mine, index_t row0, index_t rows,
                     index_t tile, double* out) {
  double* ap = a.data();
  const index_t t = tile <= 0 ? std::max<index_t>({rows, mine, 1}) : tile;
#pragma omp parallel for collapse(2) schedule(static) default(none) \
    shared(ap, out, n, mine, row0, rows, t)
  for (index_t jt = 0; jt < rows; jt += t) {
    for (index_t it = 0; it < mine; it += t) {
      const index_t jend = std::min(jt + t, rows);
      const index_t iend = std::min(it + t, mine);
      for (index_t jr = jt; jr < jend; ++jr) {
        for (index_t il = it; il < iend; ++il) {
          double& x = ap[il * n + row0 + jr];
          out[jr * mine + il] = x;
          x += 1.0;
        }
      }
    }
  }
}

// This rank's own piece, without a buffer or MPI: B(c0 + is, c0 + jl) += A(c0 + jl, c0 + is)
// and A += 1 on the elements read, tiled like pack_transposed.
void transpose_own(aligned_vector<double>& a, aligned_vector<double>& b, index_t n, index_t mine,
                   index_t c0, index_t tile) {
  double* ap = a.data();
  double* bp = b.data();
  const index_t t = tile <= 0 ? std::max<index_t>(mine, 1) : tile;
#pragma omp parallel for collapse(2) schedule(static) default(none) shared(ap, bp, n, mine, c0, t)
  for (index_t jt = 0; jt < mine; jt += t) {
    for (index_t it = 0; it < mine; it += t) {
      const index_t jend = std::min(jt + t, mine);
      const index_t iend = std::min(it + t, mine);
      for (index_t jl = jt; jl < jend; ++jl) {
        for (index_t is = it; is < iend; ++is) {
          double& x = ap[is * n + c0 + jl];
          bp[jl * n + c0 + is] += x;
          x += 1.0;
        }
      }
    }
  }
}

// Adds a received piece (`mine` columns of B, `from.count` rows starting at from.first,
// laid out in[jl * from.count + is]) into B with unit stride.
void add_piece(aligned_vector<double>& b, index_t n, index_t mine, columns from, const double* in) {
  double* bp = b.data();
  const index_t cnt = from.count;
  const index_t first = from.first;
#pragma omp parallel for schedule(static) default(none) shared(bp, in, n, mine, cnt, first)
  for (index_t jl = 0; jl < mine; ++jl) {
    double* col = bp + jl * n + first;
    const double* src = in + jl * cnt;
#pragma omp simd
    for (index_t is = 0; is < cnt; ++is) col[is] += src[is];
  }
}

record run_transpose(const context& ctx) {
  const auto& world = ctx.world;
  const index_t n = ctx.args.integer("order");
  const long long iterations = ctx.args.integer("iterations");
  const index_t tile = ctx.args.integer("tile");
  const bool pairwise = ctx.args.text("exchange") == "pairwise";
  const int p = world.size();
  const int me = world.rank();

  std::vector<columns> cols(static_cast<std::size_t>(p));
  for (int r = 0; r < p; ++r)
    cols[static_cast<std::size_t>(r)] = {grid::block_start(n, p, r), grid::block_count(n, p, r)};
  const columns own = cols[static_cast<std::size_t>(me)];
  const index_t mine = own.count;
  agree_or_throw<usage_error>(
      world, n * mine <= std::numeric_limits<int>::max(),
      fmt::format("--order {} over {} ranks exceeds MPI's int counts per rank", n, p));

  const auto local = static_cast<std::size_t>(n * mine);
  aligned_vector<double> a(local), b(local), send(local), recv(local);
  double* ap = a.data();
  double* bp = b.data();
  const index_t c0 = own.first;
#pragma omp parallel for schedule(static) default(none) shared(ap, bp, n, mine, c0)
  for (index_t jl = 0; jl < mine; ++jl) {
    for (index_t i = 0; i < n; ++i) {
      ap[jl * n + i] = static_cast<double>(n * (c0 + jl) + i);
      bp[jl * n + i] = 0.0;
    }
  }

  // Alltoallv layout: the piece for (and from) rank r is mine x cols[r].count elements.
  std::vector<int> counts(static_cast<std::size_t>(p)), displs(static_cast<std::size_t>(p));
  for (int r = 0; r < p; ++r) {
    const auto k = static_cast<std::size_t>(r);
    // The own piece skips MPI (transpose_own).
    counts[k] = r == me ? 0 : static_cast<int>(mine * cols[k].count);
    displs[k] = static_cast<int>(mine * cols[k].first);
  }

  phase_timer timer;
  double start = 0;
  for (long long iter = 0; iter <= iterations; ++iter) {
    if (iter == 1) {
      world.barrier();
      timer.clear();
      start = now();
    }
    if (!pairwise) {
      {
        auto t = timer.time("compute");
        for (int r = 0; r < p; ++r) {
          const auto k = static_cast<std::size_t>(r);
          if (r != me) {
            pack_transposed(a, n, mine, cols[k].first, cols[k].count, tile,
                            send.data() + displs[k]);
          }
        }
        transpose_own(a, b, n, mine, c0, tile);
      }
      {
        auto t = timer.time("communication");
        WEFT_MPI_CHECK(MPI_Alltoallv(send.data(), counts.data(), displs.data(), MPI_DOUBLE,
                                     recv.data(), counts.data(), displs.data(), MPI_DOUBLE,
                                     world.native_handle()));
      }
      auto t = timer.time("compute");
      for (int s = 0; s < p; ++s) {
        const auto k = static_cast<std::size_t>(s);
        if (s != me) add_piece(b, n, mine, cols[k], recv.data() + displs[k]);
      }
    } else {
      {
        auto t = timer.time("compute");
        transpose_own(a, b, n, mine, c0, tile);
      }
      for (int phase = 1; phase < p; ++phase) {
        const int to = (me + phase) % p;
        const int from = (me - phase + p) % p;
        const columns dst = cols[static_cast<std::size_t>(to)];
        const columns src = cols[static_cast<std::size_t>(from)];
        request incoming = world.irecv(
            std::span<double>(recv.data(), static_cast<std::size_t>(mine * src.count)), from, 11);
        {
          auto t = timer.time("compute");
          pack_transposed(a, n, mine, dst.first, dst.count, tile, send.data());
        }
        {
          auto t = timer.time("communication");
          request outgoing = world.isend(
              std::span<const double>(send.data(), static_cast<std::size_t>(mine * dst.count)), to,
              11);
          incoming.wait();
          outgoing.wait();
        }
        auto t = timer.time("compute");
        add_piece(b, n, mine, src, recv.data());
      }
    }
  }
  const double local_time = iterations > 0 ? now() - start : 0.0;

  // Validation: every element of B against its closed form.
  const double passes = static_cast<double>(iterations + 1);
  const double added = 0.5 * static_cast<double>(iterations) * passes;
  double local_error = 0;
#pragma omp parallel for reduction(+ : local_error) schedule(static) default(none) \
    shared(bp, n, mine, c0, passes, added)
  for (index_t jl = 0; jl < mine; ++jl) {
    for (index_t i = 0; i < n; ++i) {
      const double want = passes * static_cast<double>(n * i + c0 + jl) + added;
      local_error += std::abs(bp[jl * n + i] - want);
    }
  }
  const double abserr = world.allreduce(local_error, op::sum);
  const double epsilon = 1e-8;

  record rec;
  rec.kernel = "transpose";
  rec.phases = summarize(world, timer);
  const double slowest = summarize(world, "iterations", local_time).max;
  const double avg = slowest / static_cast<double>(iterations);
  const double bytes = 2.0 * sizeof(double) * static_cast<double>(n) * static_cast<double>(n);
  rec.metrics.push_back({"bandwidth", bytes / avg / 1e9, "GB/s", true,
                         "2 * 8 B * order^2 / (slowest rank's time per iteration)"});
  rec.metrics.push_back({"time_per_iteration", avg, "s", false, "slowest rank"});
  rec.extra["exchange"] = pairwise ? "pairwise" : "alltoall";
  rec.check.passed = abserr < epsilon;
  rec.check.method =
      "every element of B against (iterations+1)*(order*i + j) + iterations*(iterations+1)/2";
  rec.check.detail = fmt::format("sum of absolute errors {:.3g} (limit {:g})", abserr, epsilon);
  return rec;
}

}  // namespace

kernel make_transpose() {
  return {
      "transpose",
      "PRK matrix transpose B += A^T over block columns: exchange bandwidth",
      {
          {.name = "order",
           .type = param_type::integer,
           .default_value = "2048",
           .help = "matrix order n (n x n doubles)",
           .min = 1},
          {.name = "iterations",
           .type = param_type::integer,
           .default_value = "10",
           .help = "timed iterations (one more untimed)",
           .min = 1},
          {.name = "tile",
           .type = param_type::integer,
           .default_value = "32",
           .help = "tile size of the local transpose (0: untiled)",
           .min = 0},
          {.name = "exchange",
           .type = param_type::choice,
           .default_value = "alltoall",
           .help = "how pieces travel: one alltoall, or p pairwise exchanges",
           .choices = {"alltoall", "pairwise"}},
      },
      run_transpose,
  };
}

}  // namespace weft::kernels
