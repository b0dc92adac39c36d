// reduce: statistics of a dataset read from an HDF5 file, streamed by slabs.
//
// Count, sum, mean, variance, min and max with their global indices, NaN and Inf counts.
// Non-finite values are counted and left out of every other statistic.
//
// Reproducibility: the figures are bitwise identical for any rank and thread count (for
// a given --slab-mib). Every floating-point sum that depends on how elements are split
// is made exact, so its order cannot matter:
//   - Within a slab, sums use error-free extraction (after Rump, Ogita and Oishi,
//     "Accurate floating-point summation", 2008, in the accumulator form of Demmel and
//     Nguyen's reproducible summation): with a = max |x| over the slab, n elements and
//     sigma = 2^(m + e) where 2^m > 4n and 2^e > a, an accumulator that starts at
//     1.5 sigma stays in [sigma, 2 sigma) whatever n values of size up to a are added, so
//     adding x rounds it to a multiple of ulp(sigma) and the accumulator's change q is
//     exact, as is any sum of q's. x's lowest significand bit is set first, so x never
//     lies half-way between two multiples: its rounding does not depend on what the
//     accumulator holds (with round-half-to-even it would). The remainder x - q is exact
//     too and goes to the next level, whose sigma is 2^(53 - m) times smaller; three
//     levels keep about 3 x (51 - log2 n) bits below the largest value. Per-lane,
//     per-thread and per-rank sums of q are exact, so OpenMP's and MPI's orders do not
//     matter.
//   - Slabs are the same whatever the rank count, and their results are merged in slab
//     order: sums in double-double, (mean, M2) by Chan et al.'s pairwise update, where
//     M2 of a slab is the extracted sum of (x - c)^2 minus count x (slab mean - c)^2, c
//     being the mean of the slabs before it (the slab's own mean for the first one).
//   - One pass per slab: from the second slab on, the extraction constants (which depend
//     only on the exponents of the slab's bounds) are guessed from the previous slab, and
//     extremes, counts and both extracted sums come from a single scan. When the true
//     bounds give other constants, that sum is scanned again with the right ones, so the
//     figures are exactly those of separate passes; the guess only saves time.
//   - Min and max are exact; their index is the lowest global index holding that value.
#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "registry.hpp"
#include "slab_team.hpp"
#include "weft/core/aligned.hpp"
#include "weft/core/clones.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"
#include "weft/io/slab_reader.hpp"
#include "weft/par/extraction.hpp"

namespace weft::kernels {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

// Splitting constants for error-free extraction of `levels` parts (see the top).
struct extractor {
  double sigma[3] = {0, 0, 0};
  double scale = 1;  // values are multiplied by this power of two first (range safety)
  bool any = false;  // false when every value is zero (or the bound overflows)
};

extractor make_extractor(double bound, index_t n, int levels) {
  extractor e;
  if (!(bound > 0) || !(bound <= std::numeric_limits<double>::max())) return e;
  e.any = true;
  const int m = std::bit_width(4 * static_cast<std::uint64_t>(n));  // 2^m > 4n
  int exp_a = 0;
  (void)std::frexp(bound, &exp_a);  // bound < 2^exp_a
  int top = m + exp_a;              // sigma_0 = 2^top
  const int step = 53 - m;
  const int bottom = top - (levels - 1) * step;
  int shift = 0;
  if (top > 1000) shift = 1000 - top;
  if (bottom < -1000) shift = -1000 - bottom;
  e.scale = std::ldexp(1.0, shift);
  top += shift;
  for (int l = 0; l < levels; ++l) e.sigma[l] = std::ldexp(1.0, top - l * step);
  return e;
}

// Adds a to (hi, lo) in double-double (TwoSum), in a fixed order.
void add_dd(double& hi, double& lo, double a) {
  const double s = hi + a;
  const double bb = s - hi;
  const double err = (hi - (s - bb)) + (a - bb);
  hi = s;
  lo += err;
}

// One thread's share of a slab: what the passes over a slab add up (a cache line or two
// of its own, as every thread updates its own).
struct alignas(cache_line_bytes) partial {
  double mn = inf, mx = -inf;
  double nans = 0, infs = 0, plain = 0, abs_sum = 0;  // counts are exact in a double
  double s[3] = {0, 0, 0};                            // extracted parts of the sum
  double t[2] = {0, 0};                               // extracted parts of sum (x - c)^2
  // The first scan block holding mn and mx (ties: the lowest address), so that finding
  // their index scans one block, not the slab; null while no finite value was seen.
  const double* mn_at = nullptr;
  const double* mx_at = nullptr;
};

// Folds a block's (or a thread's) extreme `value`, first held in the block at `at`, into
// the running one: the smaller (Better: the larger) wins, and of equal ones the first.
template <class Better>
void keep_first_extreme(double& best, const double*& best_at, double value, const double* at,
                        Better better) {
  if (at == nullptr) return;
  if (best_at == nullptr || better(value, best) || (value == best && at < best_at)) {
    best = value;
    best_at = at;
  }
}

// The constants of one scan: which sums to extract, and how.
struct scan_plan {
  bool sum = false;  // extract the sum (needs the slab's bound, sigma)
  bool dev = false;  // extract the sum of (x - c)^2 (needs c and its bound)
  extractor e, e2;
  double c = 0;
};

// Elements per block of scan_loop: its passes re-read a block from L1.
constexpr index_t scan_block = 1024;
// Accumulators per extracted part: independent vector lanes.
constexpr int lanes = 8;

using par::detail::deposit;
using par::detail::tie_free;

// Pass 1 over a block: min, max, and the plain and absolute sums (validation only) of
// its finite values. Checked, it returns how many values were NaN or Inf. Unchecked, it
// takes every value as finite (no selects: comparisons skip NaN) and returns 0 when the
// sum of |x| is finite, which it is exactly when the block holds no NaN or Inf (or |x|
// sums past the double range); otherwise 1, and the checked form must run instead.
template <bool Checked>
[[gnu::always_inline]] inline double first_pass(const double* __restrict x, index_t n,
                                                partial& out) {
  double lo = inf, hi = -inf, bad = 0, sum = 0, abs = 0;
#pragma omp simd reduction(min : lo) reduction(max : hi) reduction(+ : bad, sum, abs)
  for (index_t i = 0; i < n; ++i) {
    const double v = x[i];
    const bool finite = !Checked || v - v == 0;
    bad += finite ? 0.0 : 1.0;
    const double f = finite ? v : 0.0;
    lo = std::min(lo, finite ? v : inf);
    hi = std::max(hi, finite ? v : -inf);
    sum += f;
    abs += std::abs(f);
  }
  out.mn = lo;
  out.mx = hi;
  out.plain = sum;
  out.abs_sum = abs;
  return Checked ? bad : (abs - abs == 0 ? 0.0 : 1.0);
}

// Runs step(x[i], lane) over a block, `lanes` elements side by side as vectors.
template <class Step>
[[gnu::always_inline]] inline void over_lanes(const double* __restrict x, index_t n, Step step) {
  index_t i = 0;
  for (; i + lanes <= n; i += lanes) {
#pragma omp simd
    for (int j = 0; j < lanes; ++j) step(x[i + j], j);
  }
  for (int j = 0; i < n; ++i, ++j) step(x[i], j);
}

// What accumulators that started at `start` gathered: their exact differences, summed.
[[gnu::always_inline]] inline double gathered(const double (&acc)[lanes], double start) {
  double got = 0;
  for (const double a : acc) got += a - start;
  return got;
}

// Pass 2 over a block: the sum extracted in three parts. Accumulator k starts at
// 1.5 sigma_k; adding a value rounds it to the accumulator's grid, and the rounded part
// is the accumulator's change (exact), the rest goes on to the next level. Non-finite
// values count as 0 when Checked.
template <bool Checked, bool Scaled>
[[gnu::always_inline]] inline void sum_pass(const double* __restrict x, index_t n,
                                            const scan_plan& p, partial& out) {
  const double start0 = 1.5 * p.e.sigma[0];
  const double start1 = 1.5 * p.e.sigma[1];
  const double start2 = 1.5 * p.e.sigma[2];
  const double sc = p.e.scale;
  double a0[lanes], a1[lanes], a2[lanes];
  std::fill_n(a0, lanes, start0);
  std::fill_n(a1, lanes, start1);
  std::fill_n(a2, lanes, start2);
  over_lanes(x, n, [&](double v, int j) {
    double w = Checked ? (v - v == 0 ? v : 0.0) : v;
    if constexpr (Scaled) w *= sc;
    a2[j] += tie_free(deposit(a1[j], deposit(a0[j], w)));
  });
  out.s[0] += gathered(a0, start0);
  out.s[1] += gathered(a1, start1);
  out.s[2] += gathered(a2, start2);
}

// Pass 3 over a block: the sum of (x - c)^2 extracted in two parts, likewise.
template <bool Checked, bool Scaled>
[[gnu::always_inline]] inline void dev_pass(const double* __restrict x, index_t n,
                                            const scan_plan& p, partial& out) {
  const double start0 = 1.5 * p.e2.sigma[0];
  const double start1 = 1.5 * p.e2.sigma[1];
  const double sc = p.e2.scale;
  const double c = p.c;
  double a0[lanes], a1[lanes];
  std::fill_n(a0, lanes, start0);
  std::fill_n(a1, lanes, start1);
  over_lanes(x, n, [&](double v, int j) {
    const double d = v - c;
    double y = d * d;
    if constexpr (Scaled) y *= sc;
    if constexpr (Checked) y = v - v == 0 ? y : 0.0;
    a1[j] += tie_free(deposit(a0[j], y));
  });
  out.t[0] += gathered(a0, start0);
  out.t[1] += gathered(a1, start1);
}

// One block of at most scan_block elements, in up to three vector passes (one pass with
// every accumulator spilled them to the stack). A block whose values are all finite (the
// common case) takes the forms without selects; one with a NaN or Inf is scanned with
// them, and only there are NaN and Inf told apart.
template <bool Sum, bool Dev, bool Scaled>
[[gnu::always_inline]] inline void scan_block_of(const double* __restrict x, index_t n,
                                                 const scan_plan& p, partial& out) {
  partial first;
  const bool clean = first_pass<false>(x, n, first) == 0;
  if (!clean) {
    const double bad = first_pass<true>(x, n, first);
    double nans = 0;
    for (index_t i = 0; i < n; ++i) nans += x[i] != x[i] ? 1.0 : 0.0;
    out.nans += nans;
    out.infs += bad - nans;
  }
  if (first.mn <= first.mx) {  // the block holds a finite value
    keep_first_extreme(out.mn, out.mn_at, first.mn, x, std::less<>());
    keep_first_extreme(out.mx, out.mx_at, first.mx, x, std::greater<>());
  }
  out.plain += first.plain;
  out.abs_sum += first.abs_sum;
  if constexpr (Sum) {
    if (clean) {
      sum_pass<false, Scaled>(x, n, p, out);
    } else {
      sum_pass<true, Scaled>(x, n, p, out);
    }
  }
  if constexpr (Dev) {
    if (clean) {
      dev_pass<false, Scaled>(x, n, p, out);
    } else {
      dev_pass<true, Scaled>(x, n, p, out);
    }
  }
}

template <bool Sum, bool Dev, bool Scaled>
[[gnu::always_inline]] inline void scan_loop(const double* __restrict x, index_t n,
                                             const scan_plan& p, partial& out) {
  for (index_t i = 0; i < n; i += scan_block) {
    scan_block_of<Sum, Dev, Scaled>(x + i, std::min(scan_block, n - i), p, out);
  }
}

// Scans x[0, n) into out. Built for AVX2 too, picked at run time when the CPU has it; the
// extracted parts are exact, so the bits do not depend on it. A part whose bound is 0
// (every value 0, or every value equal to c) is 0 and not scanned.
WEFT_SIMD_CLONES void scan(const double* x, index_t n, const scan_plan& p, partial& out) {
  const bool sum = p.sum && p.e.any;
  const bool dev = p.dev && p.e2.any;
  if ((sum && p.e.scale != 1) || (dev && p.e2.scale != 1)) {
    if (sum && dev) {
      scan_loop<true, true, true>(x, n, p, out);
    } else if (sum) {
      scan_loop<true, false, true>(x, n, p, out);
    } else {
      scan_loop<false, true, true>(x, n, p, out);
    }
  } else if (sum && dev) {
    scan_loop<true, true, false>(x, n, p, out);
  } else if (sum) {
    scan_loop<true, false, false>(x, n, p, out);
  } else if (dev) {
    scan_loop<false, true, false>(x, n, p, out);
  } else {
    scan_loop<false, false, false>(x, n, p, out);
  }
}

void merge(partial& a, const partial& b) {
  keep_first_extreme(a.mn, a.mn_at, b.mn, b.mn_at, std::less<>());
  keep_first_extreme(a.mx, a.mx_at, b.mx, b.mx_at, std::greater<>());
  a.nans += b.nans;
  a.infs += b.infs;
  a.plain += b.plain;
  a.abs_sum += b.abs_sum;
  for (int k = 0; k < 3; ++k) a.s[k] += b.s[k];
  for (int k = 0; k < 2; ++k) a.t[k] += b.t[k];
}

using slab_values = std::span<const double>;

// Scans b with every thread of the team and calls read() on the master (share_slab in
// slab_team.hpp: during the scan, or after it with one thread). The extracted parts are
// exact sums, so the split does not change them. With `reader` (its current slab being
// b), each piece is brought in by the thread that scans it (slab_reader::read_part).
template <class Read>
partial scan_local(slab_values b, const scan_plan& p, Read read,
                   io::slab_reader* reader = nullptr) {
  std::vector<partial> mine(static_cast<std::size_t>(omp_get_max_threads()));
  const double* x = b.data();
  share_slab(static_cast<index_t>(b.size()), read, [&](index_t begin, index_t count, int thread) {
    if (reader != nullptr) reader->read_part(begin, count);
    scan(x + begin, count, p, mine[static_cast<std::size_t>(thread)]);
  });
  partial total;
  for (const partial& m : mine) merge(total, m);
  return total;
}

// Collective: the figures of all ranks combined (the extracted parts are exact sums: any
// order).
partial combine(const comm_ref& world, const partial& total) {
  double ext[2] = {total.mn, -total.mx};
  world.allreduce(std::span<double>(ext), op::min);
  double sums[9] = {total.nans, total.infs, total.plain, total.abs_sum, total.s[0],
                    total.s[1], total.s[2], total.t[0],  total.t[1]};
  world.allreduce(std::span<double>(sums), op::sum);
  partial all;
  all.mn = ext[0];
  all.mx = -ext[1];
  all.nans = sums[0];
  all.infs = sums[1];
  all.plain = sums[2];
  all.abs_sum = sums[3];
  for (int k = 0; k < 3; ++k) all.s[k] = sums[4 + k];
  for (int k = 0; k < 2; ++k) all.t[k] = sums[7 + k];
  return all;
}

// Collective: scan_local, then combine.
partial scan_slab(const comm_ref& world, slab_values b, const scan_plan& p) {
  return combine(world, scan_local(b, p, [] {}));
}

bool same(const extractor& a, const extractor& b) {
  return a.any == b.any && a.scale == b.scale && a.sigma[0] == b.sigma[0] &&
         a.sigma[1] == b.sigma[1] && a.sigma[2] == b.sigma[2];
}

struct running {
  long long finite = 0, nans = 0, infs = 0, fills = 0;
  double sum_hi = 0, sum_lo = 0;
  double mean = 0, m2 = 0;  // Chan's merge over slabs
  double min = inf, max = -inf;
  long long min_index = -1, max_index = -1;
  double plain = 0, abs_sum = 0;  // for validation only
  long long slabs = 0, rescans = 0;
  io::io_mode mode = io::io_mode::collective;
  // What the previous slab gave, to guess the next slab's extraction constants.
  bool have_guess = false;
  double guess_amax = 0, guess_mn = 0, guess_mx = 0;
};

// First local position holding `value` (finite) in b from `at` on (the first block that
// holds it, from the scan), or -1 where this rank's slab does not hold it.
long long find_first(slab_values b, const double* at, double value) {
  if (at == nullptr) return -1;
  for (auto i = static_cast<std::size_t>(at - b.data()); i < b.size(); ++i) {
    if (b[i] == value) return static_cast<long long>(i);
  }
  return -1;
}

std::vector<index_t> coords_of(long long linear, const extents& shape) {
  std::vector<index_t> c(shape.size(), 0);
  for (std::size_t k = shape.size(); k-- > 0;) {
    c[k] = linear % shape[k];
    linear /= shape[k];
  }
  return c;
}

// Locates the first global index of `value` in this slab and the value stored there;
// `local_value` is this rank's extreme, first held in its block at `at`.
void locate(const comm_ref& world, slab_values b, index_t first, double value, double local_value,
            const double* at, bool is_min, long long& index, double& stored) {
  const long long local = local_value == value ? find_first(b, at, value) : -1;
  const long long mine =
      local < 0 ? std::numeric_limits<long long>::max() : static_cast<long long>(first) + local;
  index = world.allreduce(mine, op::min);
  const double fill = is_min ? inf : -inf;
  const double v = (local >= 0 && mine == index) ? b[static_cast<std::size_t>(local)] : fill;
  stored = world.allreduce(v, is_min ? op::min : op::max);
}

// Collective: folds the current slab of `reader` into r (reading the next one ahead
// during the scan).
void fold_slab(const comm_ref& world, io::slab_reader& reader, running& r) {
  const io::slab& current = reader.current();
  const slab_values b = current.part;
  ++r.slabs;
  if (current.mode != io::io_mode::collective) r.mode = current.mode;
  const long long slab_n = current.elements;
  const index_t first = current.first_index;
  // Once earlier slabs gave a mean, c is that running mean and the whole slab is one
  // pass with guessed constants; otherwise a first pass finds the bounds.
  const bool centred = r.finite > 0 && r.have_guess;
  scan_plan p;
  if (centred) {
    p.sum = p.dev = true;
    p.c = r.mean;
    p.e = make_extractor(r.guess_amax, slab_n, 3);
    const double dev = std::max(r.guess_mx - p.c, p.c - r.guess_mn);
    p.e2 = make_extractor(dev * dev, slab_n, 2);
  }
  const partial mine = scan_local(
      b, p, [&] { reader.read_ahead(); }, &reader);
  partial a = combine(world, mine);
  const auto nans = static_cast<long long>(a.nans);
  const auto infs = static_cast<long long>(a.infs);
  const long long finite = slab_n - nans - infs;
  r.nans += nans;
  r.infs += infs;
  r.plain += a.plain;
  r.abs_sum += a.abs_sum;
  if (finite == 0) return;
  if (a.mn < r.min) {
    locate(world, b, first, a.mn, mine.mn, mine.mn_at, true, r.min_index, r.min);
  }
  if (a.mx > r.max) {
    locate(world, b, first, a.mx, mine.mx, mine.mx_at, false, r.max_index, r.max);
  }
  // The slab's sum, exactly extracted in three parts with the constants of its true
  // bound: when the guess was wrong, the slab is scanned again with the right ones.
  const double amax = std::max(std::abs(a.mn), std::abs(a.mx));
  const extractor e = make_extractor(amax, slab_n, 3);
  if (!p.sum || !same(e, p.e)) {
    scan_plan q;
    q.sum = true;
    q.e = e;
    const partial again = scan_slab(world, b, q);
    for (int k = 0; k < 3; ++k) a.s[k] = again.s[k];
    r.rescans += centred ? 1 : 0;
  }
  const double unscale = 1.0 / e.scale;
  for (const double s : a.s) add_dd(r.sum_hi, r.sum_lo, s * unscale);
  const double slab_sum = ((a.s[0] + a.s[1]) + a.s[2]) * unscale;
  const double slab_mean = slab_sum / static_cast<double>(finite);
  // The slab's sum of squared deviations from c, in two parts, likewise; then
  // M2 = sum (x - c)^2 - finite (mean - c)^2 (c = the slab's own mean for the first).
  const double c = centred ? p.c : slab_mean;
  const double dev = std::max(a.mx - c, c - a.mn);
  const extractor e2 = make_extractor(dev * dev, slab_n, 2);
  if (!p.dev || !same(e2, p.e2)) {
    scan_plan q;
    q.dev = true;
    q.c = c;
    q.e2 = e2;
    const partial again = scan_slab(world, b, q);
    for (int k = 0; k < 2; ++k) a.t[k] = again.t[k];
    r.rescans += centred ? 1 : 0;
  }
  const double shift = slab_mean - c;
  // (x - c)^2 past the double range: so is the variance.
  const double slab_m2 = dev * dev > std::numeric_limits<double>::max()
                             ? inf
                             : std::max(0.0, (a.t[0] + a.t[1]) / e2.scale -
                                                 static_cast<double>(finite) * shift * shift);
  r.have_guess = true;
  r.guess_amax = amax;
  r.guess_mn = a.mn;
  r.guess_mx = a.mx;
  // Chan et al.: merge (finite, slab_mean, slab_m2) into the running figures.
  const double na = static_cast<double>(r.finite);
  const double nb = static_cast<double>(finite);
  const double nn = na + nb;
  const double delta = slab_mean - r.mean;
  r.mean += delta * (nb / nn);
  // (No cross term for the first slab: delta^2 may overflow where 0 x inf is NaN.)
  r.m2 += na == 0 ? slab_m2 : slab_m2 + delta * delta * (na * nb / nn);
  r.finite += finite;
}

// Validation: the counts add up, the exact sum lies within the error bound of a plain
// summation of the same values (|error| <= (n + ranks) * eps * sum |x|), and the moments
// are consistent.
void check(record& rec, const running& r, index_t total, int ranks) {
  const double sum = r.sum_hi + r.sum_lo;
  const double mean = sum / static_cast<double>(r.finite);
  const double variance = r.m2 / static_cast<double>(r.finite);
  const long long counted = r.finite + r.nans + r.infs + r.fills;
  const double eps = std::ldexp(1.0, -53);
  const double bound = (static_cast<double>(total) + ranks + 2) * eps * r.abs_sum + 1e-300;
  const double gap = std::abs(sum - r.plain);
  bool ok = counted == total && gap <= bound;
  if (r.finite > 0) {
    ok = ok && r.min <= mean * (1 + 1e-15) + 1e-300 && mean <= r.max * (1 + 1e-15) + 1e-300 &&
         variance >= 0;
  }
  rec.check.passed = ok;
  rec.check.method =
      "counts add up to the dataset size; exact sum within a plain sum's error bound; "
      "min <= mean <= max; variance >= 0";
  rec.check.detail = fmt::format(
      "{} of {} elements counted; sum {:.17g}, plain sum {:.17g}, gap {:.3g} (bound {:.3g})",
      counted, total, sum, r.plain, gap, bound);
}

record run_reduce(const context& ctx) {
  const auto& world = ctx.world;
  const double slab_mib = ctx.args.real("slab-mib");
  const io::dataset_ref ref = ctx.args.dataset("input");
  world.barrier();
  const double start = now();
  running r;
  const bool skip_fill = ctx.args.flag("skip-fill");
  // Streamed along axis 0; mapped where every rank can, without opening MPI-IO at all.
  io::input in =
      io::open_input(world, ref, io::any_axes, true, io::input_reads::mapped_where_possible);
  const extents shape = in.info.shape;
  const index_t total = in.info.size();
  io::slab_reader reader(world, in, slab_mib);
  if (skip_fill) reader.set_missing(in.info.fills);
  const bool direct = reader.use_direct(world);
  // The master reads slab k + 1 (HDF5 and MPI, which only it may call) during slab k's
  // scan (share_slab). Every rank reads ahead before slab k's collectives whatever its
  // thread count, so the order of collective calls is the same on all ranks.
  for (bool have = reader.start(); have; have = reader.advance()) fold_slab(world, reader, r);
  // Fill values were read as NaN and counted by the scan with them.
  const long long fills = world.allreduce(static_cast<long long>(reader.masked()), op::sum);
  r.nans -= fills;
  r.fills = fills;
  const double seconds = now() - start;
  const double sum = r.sum_hi + r.sum_lo;
  const double mean = r.finite > 0 ? sum / static_cast<double>(r.finite) : std::nan("");
  const double variance = r.finite > 0 ? r.m2 / static_cast<double>(r.finite) : std::nan("");

  phase_timer timer;
  timer.add("io", reader.io_seconds());
  timer.add("compute", seconds - reader.io_seconds());
  record rec;
  rec.kernel = "reduce";
  rec.phases = summarize(world, timer);
  const double slowest = world.allreduce(seconds, op::max);
  const double bytes = static_cast<double>(total) * static_cast<double>(in.info.type_size);
  rec.metrics.push_back({"bandwidth", bytes / slowest / 1e9, "GB/s", true,
                         "dataset bytes (as stored, uncompressed) / wall time"});
  rec.metrics.push_back({"count", static_cast<double>(r.finite), "", true, "finite elements"});
  rec.metrics.push_back({"sum", sum, "", true, "exact per slab, double-double over slabs"});
  rec.metrics.push_back({"mean", mean, "", true, "sum / count"});
  rec.metrics.push_back({"variance", variance, "", true, "population variance, M2 / count"});
  rec.metrics.push_back({"min", r.min, "", true, "smallest finite value"});
  rec.metrics.push_back({"max", r.max, "", true, "largest finite value"});
  rec.metrics.push_back({"nan", static_cast<double>(r.nans), "", false, "NaN elements"});
  rec.metrics.push_back({"inf", static_cast<double>(r.infs), "", false, "infinite elements"});
  if (skip_fill) {
    rec.metrics.push_back(
        {"fill", static_cast<double>(r.fills), "", false, "elements holding a fill value"});
  }
  json stats;
  stats["input"] = ref.text();
  stats["shape"] = shape;
  stats["type"] = in.info.type_text;
  stats["count"] = r.finite;
  stats["sum"] = sum;
  stats["mean"] = mean;
  stats["variance"] = variance;
  stats["std"] = std::sqrt(variance);
  stats["min"] = r.min;
  stats["min_index"] = r.min_index >= 0 ? json(coords_of(r.min_index, shape)) : json(nullptr);
  stats["max"] = r.max;
  stats["max_index"] = r.max_index >= 0 ? json(coords_of(r.max_index, shape)) : json(nullptr);
  stats["nan"] = r.nans;
  stats["inf"] = r.infs;
  if (skip_fill) {
    stats["fill"] = r.fills;
    json values = json::array();
    for (const auto& f : in.info.fills)
      values.push_back({{"value", f.value}, {"source", f.source}});
    stats["fill_values"] = values;
  }
  stats["slabs"] = r.slabs;
  stats["rows_per_slab"] = reader.rows_per_slab();
  stats["io_mode"] = io::to_string(r.mode);
  stats["rescans"] = r.rescans;
  // Bit patterns, for comparing runs exactly.
  stats["sum_bits"] = fmt::format("{:016x}", std::bit_cast<std::uint64_t>(sum));
  stats["variance_bits"] = fmt::format("{:016x}", std::bit_cast<std::uint64_t>(variance));
  rec.extra["statistics"] = stats;
  record_input_reads(rec, direct, in.f.opened_with_mpi_io());

  check(rec, r, total, world.size());
  return rec;
}

}  // namespace

kernel make_reduce() {
  return {
      "reduce",
      "statistics of an HDF5 dataset (sum, mean, variance, min/max, NaN/Inf): reproducible",
      {
          input_param(),
          slab_param(),
          skip_fill_param(),
      },
      run_reduce,
  };
}

}  // namespace weft::kernels
