// dgemm: C = A·B for dense square matrices of order n, distributed in blocks over a 2-D
// rank grid and multiplied with SUMMA (van de Geijn and Watts, 1997).
//
// Rank (r, c) of an R x C grid owns rows block r of R and columns block c of C of each
// matrix (weft::grid::decomposition, so n need not divide by the grid). For each panel of at
// most `block` columns of A (equally, rows of B) the owning grid column broadcasts its
// piece of A along every grid row, the owning grid row broadcasts its piece of B along
// every grid column, and every rank adds the product of the two panels to its block of C
// with one cblas_dgemm call. Panels never straddle an owner boundary, so each panel has
// one root in each communicator. On a 1x1 grid nothing is broadcast and the product is
// one cblas_dgemm call over the whole k range.
//
// Threads: the BLAS runs with omp_get_max_threads() threads per rank (set with
// openblas_set_num_threads for the run and restored afterwards) and is never called from
// inside an OpenMP region, so ranks x threads = cores means one thread per core.
//
// Validation: generated matrices are PRK's (A(i,j) = B(i,j) = j), so C(i,j) = j·n(n-1)/2
// exactly; every element and the checksum are compared with that closed form. Matrices
// read from HDF5 are validated with Freivalds' check: C·x against A·(B·x) for a random
// x, within the rounding bound of the dot products.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "registry.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"
#include "weft/grid/decomposition.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"
#include "weft/par/rng.hpp"

namespace weft::kernels {

namespace {

// The part (0..parts-1) whose block of n rows holds row k (see weft::grid::block_start).
int owner_part(index_t n, int parts, index_t k) {
  const index_t base = n / parts;
  const index_t rem = n % parts;
  if (k < rem * (base + 1)) return static_cast<int>(k / (base + 1));
  return static_cast<int>(rem + (k - rem * (base + 1)) / base);
}

std::vector<int> choose_grid(const arguments& args, int ranks) {
  if (!args.has("grid") || args.text("grid").empty() || args.text("grid") == "auto") {
    int dims[2] = {0, 0};
    WEFT_MPI_CHECK(MPI_Dims_create(ranks, 2, dims));
    return {dims[0], dims[1]};
  }
  const extents e = args.shape("grid", 2);
  if (e.size() != 2 || e[0] < 1 || e[1] < 1 || e[0] * e[1] != ranks) {
    throw usage_error(
        fmt::format("--grid {} must be RxC with R*C = {} ranks", args.text("grid"), ranks), true);
  }
  return {static_cast<int>(e[0]), static_cast<int>(e[1])};
}

// Sets the BLAS thread count for a scope and restores the previous one.
class blas_threads {
 public:
  explicit blas_threads(int n) : previous_(openblas_get_num_threads()) {
    openblas_set_num_threads(n);
  }
  blas_threads(const blas_threads&) = delete;
  blas_threads& operator=(const blas_threads&) = delete;
  blas_threads(blas_threads&&) = delete;
  blas_threads& operator=(blas_threads&&) = delete;
  ~blas_threads() { openblas_set_num_threads(previous_); }

 private:
  int previous_;
};

struct block_matrix {
  index_t rows = 0;  // local rows
  index_t cols = 0;  // local columns
  std::vector<double> data;
};

// Reads one operand's block; the dataset must be a square 2-D matrix.
index_t read_operand(const comm_ref& world, const arguments& args, const std::string& name,
                     std::optional<io::input>& in) {
  const std::string option = "--" + name;
  const std::string text = args.text(name);
  in.emplace(io::open_input(world, args.dataset(name), 2));
  const auto& shape = in->info.shape;
  if (shape.size() != 2 || shape[0] != shape[1]) {
    throw input_error(fmt::format("{} {}: a square matrix is needed, found {}", option, text,
                                  in->info.shape_text()),
                      true);
  }
  return shape[0];
}

// y = M·x over all ranks: each rank multiplies its block, the partial rows are summed.
// Collective over world. With `absolute`, |M|·|x| (for rounding bounds).
std::vector<double> multiply_vector(const comm_ref& world, const grid::decomposition& dec,
                                    const block_matrix& m, const std::vector<double>& x,
                                    bool absolute) {
  const index_t n = dec.global_shape()[0];
  const index_t r0 = dec.local_start()[0];
  const index_t c0 = dec.local_start()[1];
  std::vector<double> y(static_cast<std::size_t>(n), 0.0);
  const index_t rows = m.rows;
  const index_t cols = m.cols;
  const double* a = m.data.data();
  const double* xs = x.data();
  double* ys = y.data();
#pragma omp parallel for schedule(static) default(none) \
    shared(rows, cols, a, xs, ys, r0, c0, absolute)
  for (index_t i = 0; i < rows; ++i) {
    double s = 0;
    for (index_t j = 0; j < cols; ++j) {
      const double v = a[i * cols + j] * xs[c0 + j];
      s += absolute ? std::abs(v) : v;
    }
    ys[r0 + i] = s;
  }
  world.allreduce(std::span<double>(y), op::sum);
  return y;
}

// A(i,j) = B(i,j) = j: C(i,j) = j n(n-1)/2 exactly, and the checksum (PRK dgemm).
void check_generated(record& rec, const comm_ref& world, const block_matrix& c, index_t n,
                     index_t col0) {
  const double nd = static_cast<double>(n);
  const index_t m = c.rows;
  const index_t q = c.cols;
  const double column_sum = nd * (nd - 1) / 2;  // sum over k of k
  double local_sum = 0;
  double worst = 0;
  const double* pc = c.data.data();
#pragma omp parallel for schedule(static) default(none) shared(pc, m, q, col0, column_sum) \
  reduction(+ : local_sum) reduction(max : worst)
  for (index_t i = 0; i < m; ++i) {
    for (index_t j = 0; j < q; ++j) {
      const double v = pc[i * q + j];
      local_sum += v;
      const double want = static_cast<double>(col0 + j) * column_sum;
      worst = std::max(worst, std::abs(v - want) / std::max(1.0, want));
    }
  }
  const double sum = world.allreduce(local_sum, op::sum);
  worst = world.allreduce(worst, op::max);
  const double expected = nd * column_sum * column_sum;
  const double rel = expected == 0 ? std::abs(sum) : std::abs(sum - expected) / expected;
  const double epsilon = 1e-8;
  rec.check.passed = rel <= epsilon && worst <= epsilon;
  rec.check.method =
      "A(i,j) = B(i,j) = j: every C(i,j) against j*n(n-1)/2 and the checksum against "
      "n*(n(n-1)/2)^2 (PRK dgemm)";
  rec.check.detail = fmt::format(
      "checksum {:.17g}, expected {:.17g}, relative error {:.3g}; worst element relative "
      "error {:.3g} (limit {:g})",
      sum, expected, rel, worst, epsilon);
}

// Operands from files: Freivalds' check of C = A B with a random vector, within the
// rounding bound of the products.
void check_freivalds(record& rec, const comm_ref& world, const grid::decomposition& dec,
                     const block_matrix& a, const block_matrix& b, const block_matrix& c,
                     index_t n) {
  const double nd = static_cast<double>(n);
  std::vector<double> x(static_cast<std::size_t>(n));
  for (index_t j = 0; j < n; ++j) {
    x[static_cast<std::size_t>(j)] =
        par::counter_rng::uniform(0x5eed, static_cast<std::uint64_t>(j)) - 0.5;
  }
  const auto cx = multiply_vector(world, dec, c, x, false);
  const auto bx = multiply_vector(world, dec, b, x, false);
  const auto abx = multiply_vector(world, dec, a, bx, false);
  const auto bound_inner = multiply_vector(world, dec, b, x, true);
  const auto bound = multiply_vector(world, dec, a, bound_inner, true);
  const double gamma = 4.0 * (nd + 2) * 0x1.0p-52;
  double worst = 0;
  bool ok = true;
  for (std::size_t i = 0; i < cx.size(); ++i) {
    const double diff = std::abs(cx[i] - abx[i]);
    const double limit = gamma * bound[i] + 1e-300;
    ok = ok && diff <= limit;
    worst = std::max(worst, diff / limit);
  }
  rec.check.passed = ok;
  rec.check.method =
      "Freivalds: C*x against A*(B*x) for a random x, within 4(n+2)u*|A||B||x| per row";
  rec.check.detail = fmt::format("worst row error / its bound {:.3g} (limit 1)", worst);
}

// Fills A(i,j) = B(i,j) = j and C = 0, first touched in the row order the multiplies use.
void first_touch(block_matrix& a, block_matrix& b, block_matrix& c, index_t col0) {
  const index_t m = a.rows;
  const index_t q = a.cols;
  double* pa = a.data.data();
  double* pb = b.data.data();
  double* pc = c.data.data();
  // First touch in the row order the multiplies use.
#pragma omp parallel for schedule(static) default(none) shared(pa, pb, pc, m, q, col0)
  for (index_t i = 0; i < m; ++i) {
    for (index_t j = 0; j < q; ++j) {
      pa[i * q + j] = static_cast<double>(col0 + j);
      pb[i * q + j] = static_cast<double>(col0 + j);
      pc[i * q + j] = 0.0;
    }
  }
}

// One SUMMA product C = A·B on the rank grid: k-panels of at most `step` columns of A
// broadcast along grid rows and rows of B along grid columns, one BLAS update each.
struct summa {
  const grid::decomposition& dec;
  const comm& row_comm;  // the ranks of my grid row
  const comm& col_comm;  // the ranks of my grid column
  index_t n;
  index_t step;
  const block_matrix& a;
  block_matrix& b;  // the owner's rows are broadcast in place
  block_matrix& c;
  std::vector<double>& a_panel;
  std::vector<double>& b_panel;

  // Adds the communication and compute times to *timer when it is given.
  void multiply(phase_timer* timer) const {
    const std::vector<int>& grid = dec.grid();
    const int my_row = dec.coords()[0];
    const int my_col = dec.coords()[1];
    const index_t m = c.rows;
    const index_t q = c.cols;
    const index_t row0 = dec.local_start()[0];
    const index_t col0 = dec.local_start()[1];
    for (index_t k0 = 0; k0 < n;) {
      const int a_root = owner_part(n, grid[1], k0);  // grid column holding A's columns
      const int b_root = owner_part(n, grid[0], k0);  // grid row holding B's rows
      const index_t a_end =
          grid::block_start(n, grid[1], a_root) + grid::block_count(n, grid[1], a_root);
      const index_t b_end =
          grid::block_start(n, grid[0], b_root) + grid::block_count(n, grid[0], b_root);
      const index_t w = std::min({step, n - k0, a_end - k0, b_end - k0});
      const double t0 = now();
      // A's panel: used in place when no other rank needs it, packed for the broadcast
      // otherwise.
      const double* ap = a_panel.data();
      index_t lda = w;
      if (my_col == a_root && row_comm.size() == 1) {
        ap = a.data.data() + (k0 - col0);
        lda = q;
      } else {
        if (my_col == a_root) {
          const index_t off = k0 - col0;
          const double* src = a.data.data();
          double* dst = a_panel.data();
#pragma omp parallel for schedule(static) default(none) shared(src, dst, m, q, w, off)
          for (index_t i = 0; i < m; ++i) std::copy_n(src + i * q + off, w, dst + i * w);
        }
        row_comm.bcast(std::span<double>(a_panel.data(), static_cast<std::size_t>(m * w)), a_root);
      }
      double* bp = my_row == b_root ? b.data.data() + (k0 - row0) * q : b_panel.data();
      col_comm.bcast(std::span<double>(bp, static_cast<std::size_t>(w * q)), b_root);
      const double t1 = now();
      if (timer != nullptr) timer->add("communication", t1 - t0);
      if (m > 0 && q > 0) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m),
                    static_cast<int>(q), static_cast<int>(w), 1.0, ap, static_cast<int>(lda), bp,
                    static_cast<int>(q), k0 == 0 ? 0.0 : 1.0, c.data.data(), static_cast<int>(q));
      }
      if (timer != nullptr) timer->add("compute", now() - t1);
      k0 += w;
    }
  }
};

record run_dgemm(const context& ctx) {
  const auto& world = ctx.world;
  const auto& args = ctx.args;
  const long long iterations = args.integer("iterations");
  const index_t block = args.integer("block");
  const bool from_files = args.given("a") || args.given("b");
  if (from_files && !(args.given("a") && args.given("b"))) {
    throw usage_error("--a and --b go together", true);
  }
  const std::vector<int> grid = choose_grid(args, world.size());
  const int threads = omp_get_max_threads();
  const blas_threads blas(threads);

  // --- operands ---------------------------------------------------------------------
  index_t n = args.integer("order");
  std::optional<io::input> in_a, in_b;
  if (from_files) {
    n = read_operand(world, args, "a", in_a);
    const index_t nb = read_operand(world, args, "b", in_b);
    if (nb != n) {
      throw input_error(fmt::format("--a is {0}x{0} but --b is {1}x{1}", n, nb), true);
    }
  }
  const grid::decomposition dec({n, n}, world.size(), world.rank(), grid);
  const int my_row = dec.coords()[0];
  const int my_col = dec.coords()[1];
  const index_t m = dec.local_shape()[0];
  const index_t q = dec.local_shape()[1];
  const index_t col0 = dec.local_start()[1];
  const auto local = static_cast<std::size_t>(m * q);

  block_matrix a{m, q, std::vector<double>(local)};
  block_matrix b{m, q, std::vector<double>(local)};
  block_matrix c{m, q, std::vector<double>(local)};
  phase_timer timer;
  first_touch(a, b, c, col0);
  if (from_files) {
    const auto io_scope = timer.time("io");
    (void)io::read_box(in_a->d, dec.block(), std::span<double>(a.data));
    (void)io::read_box(in_b->d, dec.block(), std::span<double>(b.data));
    in_a.reset();
    in_b.reset();
  }

  const comm row_comm = world.split(my_row, my_col);  // the ranks of my grid row
  const comm col_comm = world.split(my_col, my_row);  // the ranks of my grid column
  const bool alone = row_comm.size() == 1 && col_comm.size() == 1;
  const index_t width = alone ? 0 : std::min(block, std::max<index_t>(n, 1));
  std::vector<double> a_panel(static_cast<std::size_t>(m * width));
  std::vector<double> b_panel(static_cast<std::size_t>(width * q));

  // With nothing to broadcast (a 1x1 grid) the whole product is one BLAS call: k-panels
  // would only cut it into rank-`block` updates.
  const index_t step = alone ? n : block;

  const summa product{dec, row_comm, col_comm, n, step, a, b, c, a_panel, b_panel};

  // Iteration 0 warms up (BLAS thread pool, page faults) and is not timed, as in PRK.
  double start = 0;
  for (long long iter = 0; iter <= iterations; ++iter) {
    if (iter == 1) {
      world.barrier();
      start = now();
    }
    product.multiply(iter > 0 ? &timer : nullptr);
  }
  const double elapsed = world.allreduce(now() - start, op::max);

  // --- validation ---------------------------------------------------------------------
  record rec;
  rec.kernel = "dgemm";
  const double nd = static_cast<double>(n);
  if (from_files) {
    check_freivalds(rec, world, dec, a, b, c, n);
  } else {
    check_generated(rec, world, c, n, col0);
  }

  if (args.given("c")) {
    const auto io_scope = timer.time("io");
    const auto ref = args.dataset("c");
    io::output_file out(world, ref.file, args.flag("overwrite"), args.values());
    {
      const auto ds = out.create_dataset(ref.path, io::element_type::f64, {n, n});
      (void)io::write_box(ds, dec.block(), std::span<const double>(c.data));
    }
    out.commit();
  }

  rec.phases = summarize(world, timer);
  const double per_iteration = iterations > 0 ? elapsed / static_cast<double>(iterations) : 0;
  const double flops = 2.0 * nd * nd * nd;
  rec.metrics.push_back({"rate", per_iteration > 0 ? flops / per_iteration / 1e9 : 0, "GFlop/s",
                         true, "2 n^3 / (slowest rank's time per iteration)"});
  rec.metrics.push_back({"time_per_iteration", per_iteration, "s", false, "slowest rank"});
  rec.extra["order"] = n;
  rec.extra["grid"] = dec.grid_text();
  rec.extra["block"] = block;
  rec.extra["blas_threads"] = threads;
  // 0: sequential BLAS, 1: its own pthreads pool, 2: OpenMP (shares the rank's threads).
  rec.extra["blas_parallel"] = openblas_get_parallel();
  return rec;
}

}  // namespace

kernel make_dgemm() {
  return {
      "dgemm",
      "dense C = A*B by SUMMA over a 2-D rank grid with BLAS multiplies (PRK dgemm)",
      {
          {.name = "order",
           .type = param_type::integer,
           .default_value = "1024",
           .help = "matrix order n (generated matrices)",
           .min = 1},
          {.name = "iterations",
           .type = param_type::integer,
           .default_value = "5",
           .help = "timed multiplies (one more untimed warm-up)",
           .min = 1},
          {.name = "block",
           .type = param_type::integer,
           .default_value = "256",
           .help = "panel width: columns of A / rows of B broadcast per SUMMA step",
           .min = 1},
          rank_grid_param(),
          {.name = "a",
           .type = param_type::text,
           .default_value = "none",
           .help = "read A from FILE:/path (square 2-D)",
           .input = true},
          {.name = "b",
           .type = param_type::text,
           .default_value = "none",
           .help = "read B from FILE:/path (same shape as A)",
           .input = true},
          {.name = "c",
           .type = param_type::text,
           .default_value = "none",
           .help = "write C to FILE:/path (written atomically)"},
          {.name = "overwrite",
           .type = param_type::flag,
           .default_value = "false",
           .help = "replace an existing --c file"},
      },
      run_dgemm,
  };
}

}  // namespace weft::kernels
