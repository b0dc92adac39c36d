// histogram: counts of a dataset's values in equal-width bins, streamed by slabs.
//
// The range is --range lo:hi, or the finite min and max of the data (one extra pass).
// Values below/above the range, infinities included, are counted as underflow/overflow,
// NaNs apart; a value equal to hi falls in the last bin. Bin edges are stored as
// computed (lo + (hi - lo) * i / bins) and each value is placed so that
// edges[i] <= x < edges[i + 1] holds for the stored edges. Counts are integers, so
// they are identical for any rank and thread count. With --output the counts and edges
// go to an HDF5 file (/counts int64, /edges float64, provenance), published atomically.
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <omp.h>

#include "registry.hpp"
#include "slab_team.hpp"
#include "weft/core/aligned.hpp"
#include "weft/core/clones.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"
#include "weft/io/slab_reader.hpp"

namespace weft::kernels {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

bool parse_range(const std::string& text, double& lo, double& hi) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return false;
  const char* a = text.data();
  const char* mid = a + colon;
  const char* end = a + text.size();
  const auto r1 = std::from_chars(a, mid, lo);
  const auto r2 = std::from_chars(mid + 1, end, hi);
  return r1.ec == std::errc() && r1.ptr == mid && r2.ec == std::errc() && r2.ptr == end &&
         std::isfinite(lo) && std::isfinite(hi) && lo < hi;
}

// The text table: every row spans the same number of bins, so rows are equally wide and
// their counts compare. Up to 16 bins, one row each; above, g bins a row with g the
// divisor of the bin count giving 8 to 16 rows; up to 32 bins without such a divisor,
// one row each; otherwise ceil(bins / 16) a row, and the last row, which holds fewer,
// says so and draws its bar from its count per bin.
std::size_t bins_per_row(std::size_t bins) {
  if (bins <= 16) return 1;
  for (std::size_t g = 2; g <= bins / 8; ++g) {
    if (bins % g == 0 && bins / g <= 16) return g;
  }
  if (bins <= 32) return 1;
  return (bins + 15) / 16;
}

std::string bar_chart(const std::vector<long long>& counts, const std::vector<double>& edges) {
  const std::size_t bins = counts.size();
  const std::size_t g = bins_per_row(bins);
  const std::size_t rows = (bins + g - 1) / g;
  std::vector<long long> grouped(rows, 0);
  std::vector<double> per_bin(rows, 0);
  double peak = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t end = std::min(bins, (r + 1) * g);
    for (std::size_t i = r * g; i < end; ++i) grouped[r] += counts[i];
    per_bin[r] = static_cast<double>(grouped[r]) / static_cast<double>(end - r * g);
    peak = std::max(peak, per_bin[r]);
  }
  std::string out;
  if (g > 1) out += fmt::format("  ({} bins a row)\n", g);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t end = std::min(bins, (r + 1) * g);
    const auto width =
        static_cast<std::size_t>(peak > 0 ? std::lround(40.0 * per_bin[r] / peak) : 0);
    out += fmt::format("  [{:>12.6g}, {:>12.6g}) {:>12} {}", edges[r * g], edges[end], grouped[r],
                       std::string(width, '#'));
    if (end - r * g < g) out += fmt::format("  ({} of {} bins; bar per bin)", end - r * g, g);
    out += "\n";
  }
  return out;
}

// Where a value is counted: its bin k (edges[k] <= v < edges[k + 1], hi in the last), or
// past the bins: underflow (bins), overflow (bins + 1), NaN (bins + 2).
struct binning {
  double lo = 0, hi = 1, scale = 1;
  const double* edges = nullptr;  // bins + 1 of them
  int bins = 1;
};

// The slot of each of x[0, n) (n <= slot_block), in one vector pass: the bin from the
// scaled offset, moved by one where rounding put it past a stored edge.
WEFT_SIMD_CLONES void slots_of(const double* __restrict x, index_t n, const binning& b,
                               std::int32_t* __restrict slot) {
  const double lo = b.lo, hi = b.hi, scale = b.scale, top = b.bins - 1;
  const double* e = b.edges;
  const int bins = b.bins;
#pragma omp simd
  for (index_t i = 0; i < n; ++i) {
    const double v = x[i];
    // In [0, bins - 1] whatever v is (NaN and values out of range give 0 or bins - 1, then
    // a slot past the bins), so the edges read below exist. Both edges are read
    // unconditionally, so the loop vectorises: k0 - 1 >= -1, and a value below
    // e[0] = lo takes the underflow slot anyway.
    const double t = std::min(top, std::max(0.0, (v - lo) * scale));
    const int k0 = static_cast<int>(t);
    const int k1 = k0 - (v < e[k0] ? 1 : 0);
    const int k = k1 + (((k1 + 1 < bins) & (v >= e[k1 + 1])) ? 1 : 0);
    int s = v > hi ? bins + 1 : k;
    s = v < lo ? bins : s;
    slot[i] = v != v ? bins + 2 : s;
  }
}

constexpr index_t slot_block = 1024;

// One thread's counts: `copies` interleaved histograms of `stride` slots (a whole number
// of cache lines), so that equal neighbouring slots do not wait on each other's store.
struct counter {
  std::size_t stride = 0;
  int copies = 1;
  aligned_vector<long long> counts;
  std::int32_t slot[slot_block];

  explicit counter(std::size_t slots)
      : stride((slots + 7) / 8 * 8),
        copies(slots <= 4096 ? 4 : 1),
        counts(stride * static_cast<std::size_t>(copies), 0) {}

  void add(const double* x, index_t n, const binning& b) {
    for (index_t i = 0; i < n; i += slot_block) {
      const index_t m = std::min(slot_block, n - i);
      slots_of(x + i, m, b, slot);
      long long* h = counts.data();
      index_t j = 0;
      if (copies == 4) {
        for (; j + 4 <= m; j += 4) {
          ++h[slot[j]];
          ++h[stride + static_cast<std::size_t>(slot[j + 1])];
          ++h[2 * stride + static_cast<std::size_t>(slot[j + 2])];
          ++h[3 * stride + static_cast<std::size_t>(slot[j + 3])];
        }
      }
      for (; j < m; ++j) ++h[slot[j]];
    }
  }

  // Adds this thread's counts to total (slots long).
  void add_to(std::vector<long long>& total) const {
    for (int c = 0; c < copies; ++c) {
      for (std::size_t k = 0; k < total.size(); ++k) {
        total[k] += counts[static_cast<std::size_t>(c) * stride + k];
      }
    }
  }
};

// The range of the finite values ([0, 1] when there are none; a single value v gives
// [v - 0.5, v + 0.5]) and how many values are -inf and +inf (they fall outside it).
struct finite_range {
  double lo = 0, hi = 1;
  long long neg_inf = 0, pos_inf = 0;
};

// Collective: a first pass over the dataset for its finite_range.
finite_range data_range(const comm_ref& world, const io::input& in, double slab_mib, bool skip_fill,
                        double& io_seconds) {
  struct alignas(cache_line_bytes) extremes {
    double mn = inf, mx = -inf, neg = 0, pos = 0;
  };
  std::vector<extremes> ext(static_cast<std::size_t>(omp_get_max_threads()));
  io::slab_reader pass(world, in, slab_mib);
  if (skip_fill) pass.set_missing(in.info.fills);
  (void)pass.use_direct(world);
  stream_slabs(pass, [&](const double* x, index_t n, int thread) {
    double mn = inf, mx = -inf, neg = 0, pos = 0;
#pragma omp simd reduction(min : mn) reduction(max : mx) reduction(+ : neg, pos)
    for (index_t i = 0; i < n; ++i) {
      const bool finite = x[i] - x[i] == 0;
      mn = std::min(mn, finite ? x[i] : inf);
      mx = std::max(mx, finite ? x[i] : -inf);
      neg += x[i] == -inf ? 1.0 : 0.0;
      pos += x[i] == inf ? 1.0 : 0.0;
    }
    auto& e = ext[static_cast<std::size_t>(thread)];
    e.mn = std::min(e.mn, mn);
    e.mx = std::max(e.mx, mx);
    e.neg += neg;
    e.pos += pos;
  });
  io_seconds += pass.io_seconds();
  double mn = inf, mx = -inf;
  std::array<long long, 2> infinities{0, 0};
  for (const auto& e : ext) {
    mn = std::min(mn, e.mn), mx = std::max(mx, e.mx);
    infinities[0] += static_cast<long long>(e.neg);
    infinities[1] += static_cast<long long>(e.pos);
  }
  world.allreduce(std::span<long long>(infinities), op::sum);
  finite_range r{world.allreduce(mn, op::min), world.allreduce(mx, op::max), infinities[0],
                 infinities[1]};
  if (!(r.lo <= r.hi)) r.lo = 0, r.hi = 1;  // no finite values at all
  if (r.lo == r.hi) r.lo -= 0.5, r.hi += 0.5;
  return r;
}

// Collective: /counts (with underflow, overflow and nan attributes) and /edges in a new
// file, published atomically.
void write_histogram(const comm_ref& world, const context& ctx, const std::string& output,
                     bool force, const io::dataset_ref& ref, const std::vector<long long>& counts,
                     const std::vector<double>& edges, long long underflow, long long overflow,
                     long long nans, const std::optional<long long>& fills) {
  const std::size_t bins = counts.size();
  json params = ctx.args.values();
  io::output_file out(world, output, force, params);
  {
    const auto dc =
        out.create_dataset("/counts", io::element_type::i64, {static_cast<index_t>(bins)});
    std::vector<std::int64_t> c(counts.begin(), counts.end());
    (void)io::write_replicated(world, dc, std::span<const std::int64_t>(c));
    dc.write_attribute("underflow", underflow);
    dc.write_attribute("overflow", overflow);
    dc.write_attribute("nan", nans);
    if (fills) dc.write_attribute("fill", *fills);
    const auto de =
        out.create_dataset("/edges", io::element_type::f64, {static_cast<index_t>(bins + 1)});
    (void)io::write_replicated(world, de, std::span<const double>(edges));
    out.write_attribute("input", ref.text());
  }
  out.commit();
}

record run_histogram(const context& ctx) {
  const auto& world = ctx.world;
  const double slab_mib = ctx.args.real("slab-mib");
  const auto bins = static_cast<std::size_t>(ctx.args.integer("bins"));
  // "auto" and "none" (the defaults) mean: the data's own range, no output file.
  std::string range_text = ctx.args.has("range") ? ctx.args.text("range") : "auto";
  std::string output = ctx.args.has("output") ? ctx.args.text("output") : "none";
  if (range_text == "auto") range_text.clear();
  if (output == "none") output.clear();
  const bool force = ctx.args.flag("force");
  const bool skip_fill = ctx.args.flag("skip-fill");
  io::dataset_ref ref;
  double lo = 0, hi = 0;
  try {
    ref = io::parse_dataset_ref(ctx.args.text("input"), "--input");
    if (!range_text.empty() && !parse_range(range_text, lo, hi)) {
      throw usage_error("--range '" + range_text + "': expected lo:hi with finite lo < hi");
    }
  } catch (const usage_error& e) {
    throw usage_error(e.what(), true);  // every rank has the same parameters
  }
  if (!output.empty()) {
    // Refuse an existing output before reading anything (the write checks again).
    std::error_code ec;
    const bool exists = world.rank() == 0 && std::filesystem::exists(output, ec);
    agree_or_throw<usage_error>(
        world, !exists || force,
        "output '" + output + "' already exists; pass --force to replace it");
  }
  world.barrier();
  const double start = now();
  // Streamed along axis 0; mapped where every rank can, without opening MPI-IO at all.
  io::input in =
      io::open_input(world, ref, io::any_axes, true, io::input_reads::mapped_where_possible);
  const index_t total = in.info.size();
  double io_seconds = 0;
  finite_range auto_range;
  if (range_text.empty()) {
    auto_range = data_range(world, in, slab_mib, skip_fill, io_seconds);
    lo = auto_range.lo;
    hi = auto_range.hi;
  }
  std::vector<double> edges(bins + 1);
  for (std::size_t i = 0; i <= bins; ++i) {
    edges[i] = lo + (hi - lo) * (static_cast<double>(i) / static_cast<double>(bins));
  }
  edges[bins] = hi;
  std::vector<long long> counts(bins + 3, 0);  // bins, then underflow, overflow, NaN
  binning how;
  how.lo = lo;
  how.hi = hi;
  how.scale = static_cast<double>(bins) / (hi - lo);
  how.edges = edges.data();
  how.bins = static_cast<int>(bins);
  std::vector<std::unique_ptr<counter>> counters;
  for (int t = 0; t < omp_get_max_threads(); ++t) {
    counters.push_back(std::make_unique<counter>(bins + 3));
  }
  // The master reads slab k + 1 while the other threads count slab k (slab_team.hpp).
  io::slab_reader reader(world, in, slab_mib);
  if (skip_fill) reader.set_missing(in.info.fills);
  const bool direct = reader.use_direct(world);
  stream_slabs(reader, [&](const double* x, index_t n, int thread) {
    counters[static_cast<std::size_t>(thread)]->add(x, n, how);
  });
  io_seconds += reader.io_seconds();
  for (const auto& c : counters) c->add_to(counts);
  counts.push_back(static_cast<long long>(reader.masked()));  // fill values, read as NaN
  world.allreduce(std::span<long long>(counts), op::sum);
  const long long fills = counts[bins + 3];
  const long long underflow = counts[bins], overflow = counts[bins + 1];
  const long long nans = counts[bins + 2] - fills;
  const std::optional<long long> fill_count =
      skip_fill ? std::optional<long long>(fills) : std::nullopt;
  counts.resize(bins);
  long long in_range = 0;
  for (const long long c : counts) in_range += c;
  const double seconds = now() - start;

  if (!output.empty()) {
    write_histogram(world, ctx, output, force, ref, counts, edges, underflow, overflow, nans,
                    fill_count);
  }
  if (world.rank() == 0) {
    std::string text =
        fmt::format("histogram of {} ({} bins over [{:.6g}, {:.6g}]):\n", ref.text(), bins, lo, hi);
    text += bar_chart(counts, edges);
    text += fmt::format("  underflow {}  overflow {}  NaN {}{}\n", underflow, overflow, nans,
                        skip_fill ? fmt::format("  fill {}", fills) : "");
    [[maybe_unused]] const auto w = ::write(STDOUT_FILENO, text.data(), text.size());
  }

  phase_timer timer;
  timer.add("io", io_seconds);
  timer.add("compute", seconds - io_seconds);
  record rec;
  rec.kernel = "histogram";
  rec.phases = summarize(world, timer);
  const double slowest = world.allreduce(seconds, op::max);
  const double passes = range_text.empty() ? 2.0 : 1.0;
  const double bytes = passes * static_cast<double>(total) * static_cast<double>(in.info.type_size);
  rec.metrics.push_back({"bandwidth", bytes / slowest / 1e9, "GB/s", true,
                         "dataset bytes x passes (2 with an automatic range) / wall time"});
  rec.metrics.push_back({"in_range", static_cast<double>(in_range), "", true, "counted in bins"});
  rec.metrics.push_back({"underflow", static_cast<double>(underflow), "", false, "below lo"});
  rec.metrics.push_back({"overflow", static_cast<double>(overflow), "", false, "above hi"});
  rec.metrics.push_back({"nan", static_cast<double>(nans), "", false, "NaN elements"});
  rec.extra["histogram"] = {{"input", ref.text()}, {"range", {lo, hi}},      {"counts", counts},
                            {"edges", edges},      {"underflow", underflow}, {"overflow", overflow},
                            {"nan", nans}};
  record_input_reads(rec, direct, in.f.opened_with_mpi_io());
  if (skip_fill) {
    rec.metrics.push_back(
        {"fill", static_cast<double>(fills), "", false, "elements holding a fill value"});
    rec.extra["histogram"]["fill"] = fills;
  }
  const long long counted = in_range + underflow + overflow + nans + fills;
  // With the data's own range, only -inf and +inf lie outside it.
  rec.check.passed =
      counted == total &&
      (!range_text.empty() || (underflow == auto_range.neg_inf && overflow == auto_range.pos_inf));
  rec.check.method = range_text.empty() ? "every element counted once; outside the data's own "
                                          "range only -inf (under) and +inf (over)"
                                        : "every element counted once";
  rec.check.detail =
      fmt::format("{} of {} elements counted ({} in bins, {} under, {} over, {} NaN, {} fill)",
                  counted, total, in_range, underflow, overflow, nans, fills);
  return rec;
}

}  // namespace

kernel make_histogram() {
  return {
      "histogram",
      "counts of an HDF5 dataset's values in equal-width bins, optionally saved as HDF5",
      {
          input_param(),
          {.name = "bins",
           .type = param_type::integer,
           .default_value = "64",
           .help = "number of bins",
           .min = 1,
           .max = 1e7},
          {.name = "range",
           .type = param_type::text,
           .default_value = "auto",
           .help = "lo:hi, or auto: the data's finite min:max"},
          {.name = "output",
           .type = param_type::text,
           .default_value = "none",
           .help = "HDF5 file for counts and edges (none: do not write one)"},
          {.name = "force",
           .type = param_type::flag,
           .default_value = "false",
           .help = "replace an existing --output"},
          slab_param(),
          skip_fill_param(),
      },
      run_histogram,
  };
}

}  // namespace weft::kernels
