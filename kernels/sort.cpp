// sort: a distributed sample sort of 64-bit keys (f64, i64 or u64), generated or read
// from a 1-D HDF5 dataset, optionally written back as one globally sorted dataset.
//
// Steps (parallel sorting by regular sampling, with oversampling):
//   1. every rank sorts its keys with all its OpenMP threads (GNU parallel mode);
//   2. each rank picks s evenly spaced samples, every rank gathers all samples, sorts
//      them and takes p-1 evenly spaced splitters;
//   3. each rank cuts its sorted keys at the splitters and sends piece r to rank r
//      (one alltoallv); 4. each rank merges the p sorted runs it received.
// Ties: a key is ordered by (value, global position after step 1), and samples and
// splitters carry that position, so runs of equal keys (all-equal, zipf) are cut in the
// middle and ranks stay balanced; with s = 32·p samples per rank no rank ends with more
// than about (1 + 1/32) times the mean.
//
// Validation, every run: keys non-decreasing within each rank and across rank boundaries,
// and the multiset unchanged (the count, and an order-independent checksum: the sum
// modulo 2^64 of a 64-bit mix of each key's bits).
#include <omp.h>
#include <parallel/algorithm>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
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

const std::vector<std::string> distributions = {"uniform",   "normal", "zipf",
                                                "all-equal", "sorted", "reverse"};

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

template <class K>
std::uint64_t bits_of(K k) {
  if constexpr (std::is_same_v<K, double>) {
    return std::bit_cast<std::uint64_t>(k == 0.0 ? 0.0 : k);  // -0 and +0 are one key
  } else {
    return static_cast<std::uint64_t>(k);
  }
}

// Key number i of a generated distribution: a pure function of (seed, i).
template <class K>
K generate_key(const std::string& dist, std::uint64_t seed, std::uint64_t i, std::uint64_t n) {
  if (dist == "uniform") {
    if constexpr (std::is_same_v<K, double>) return par::counter_rng::uniform(seed, i);
    return static_cast<K>(par::counter_rng::bits(seed, i));
  }
  if (dist == "normal") {
    const double z = par::counter_rng::normal(seed, i);
    if constexpr (std::is_same_v<K, double>) return z;
    if constexpr (std::is_same_v<K, std::int64_t>) return std::llround(z * 0x1.0p40);
    return static_cast<K>(std::llround(z * 0x1.0p40) + (std::int64_t{1} << 62));
  }
  if (dist == "zipf") {
    // Integers 1..2^20 with P(k) close to 1/k (Zipf, exponent 1): k = floor(M^u).
    const double k = std::floor(std::exp(par::counter_rng::uniform(seed, i) * 20 * std::log(2.0)));
    return static_cast<K>(k);
  }
  if (dist == "all-equal") return static_cast<K>(42);
  if (dist == "sorted") return static_cast<K>(i);
  return static_cast<K>(n - 1 - i);  // reverse
}

// A key with its global position after the local sort: the total order ties are cut by.
template <class K>
struct tagged {
  K key;
  std::uint64_t position;
  bool operator<(const tagged& o) const {
    return key < o.key || (!(o.key < key) && position < o.position);
  }
};

struct sort_outcome {
  double seconds = 0;       // the sort itself (slowest rank)
  long long max_count = 0;  // most keys on one rank afterwards
  bool ordered = false;
  bool same_multiset = false;
  std::string detail;
};

// Sorts `keys` across ranks in place (the result has a different length per rank).
template <class K>
void sample_sort(const comm_ref& world, std::vector<K>& keys, phase_timer* timer) {
  const int p = world.size();
  double t = now();
  auto lap = [&](const char* phase) {
    const double t2 = now();
    if (timer) timer->add(phase, t2 - t);
    t = t2;
  };
  __gnu_parallel::sort(keys.begin(), keys.end());
  lap("compute");
  if (p == 1) return;

  const auto n_local = static_cast<std::uint64_t>(keys.size());
  // Where my keys start in the global order after step 1 (exclusive prefix sum).
  std::uint64_t offset = 0;
  WEFT_MPI_CHECK(
      MPI_Exscan(&n_local, &offset, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, world.native_handle()));
  if (world.rank() == 0) offset = 0;
  const std::uint64_t s = std::min<std::uint64_t>(n_local, 32 * static_cast<std::uint64_t>(p));
  std::vector<tagged<K>> samples;
  samples.reserve(s);
  for (std::uint64_t k = 0; k < s; ++k) {
    const std::uint64_t at = (2 * k + 1) * n_local / (2 * s);
    samples.push_back({keys[at], offset + at});
  }
  auto all = world.allgatherv(std::span<const tagged<K>>(samples));
  std::sort(all.begin(), all.end());
  std::vector<std::size_t> cut(p + 1, 0);
  cut[p] = keys.size();
  for (int r = 1; r < p; ++r) {
    if (all.empty()) {
      cut[r] = keys.size();
      continue;
    }
    const tagged<K>& split = all[r * all.size() / p];
    // Keys below the splitter, plus the equal keys whose position is below its position.
    const auto lo = std::lower_bound(keys.begin(), keys.end(), split.key) - keys.begin();
    const auto hi = std::upper_bound(keys.begin() + lo, keys.end(), split.key) - keys.begin();
    const auto first = static_cast<std::int64_t>(offset) + lo;
    const auto below =
        std::clamp<std::int64_t>(static_cast<std::int64_t>(split.position) - first, 0, hi - lo);
    cut[r] = static_cast<std::size_t>(lo + below);
  }
  std::vector<int> counts(p);
  for (int r = 0; r < p; ++r) counts[r] = static_cast<int>(cut[r + 1] - cut[r]);
  lap("compute");
  std::vector<int> received;
  auto incoming = world.alltoallv(std::span<const K>(keys), counts, &received);
  lap("communication");

  std::vector<std::pair<typename std::vector<K>::iterator, typename std::vector<K>::iterator>> runs;
  auto it = incoming.begin();
  for (int r = 0; r < p; ++r) {
    runs.emplace_back(it, it + received[r]);
    it += received[r];
  }
  keys.resize(incoming.size());
  // A rank that received nothing has nothing to merge (and an empty output to write to).
  if (!incoming.empty()) {
    __gnu_parallel::multiway_merge(runs.begin(), runs.end(), keys.begin(), incoming.size(),
                                   std::less<K>());
  }
  lap("compute");
}

template <class K>
record run_typed(const context& ctx, const std::string& type_name) {
  const auto& world = ctx.world;
  const auto& args = ctx.args;
  const int p = world.size();
  const std::string dist = args.text("distribution");
  const auto seed = static_cast<std::uint64_t>(args.integer("seed"));
  const long long iterations = args.integer("iterations");
  phase_timer timer;

  // --- input --------------------------------------------------------------------------
  std::optional<io::input> in;
  std::uint64_t n = static_cast<std::uint64_t>(args.integer("keys"));
  if (args.given("input")) {
    in.emplace(io::open_input(world, args.dataset("input"), 1));
    n = static_cast<std::uint64_t>(in->info.shape[0]);
  }
  const auto first =
      static_cast<std::uint64_t>(grid::block_start(static_cast<index_t>(n), p, world.rank()));
  const auto count =
      static_cast<std::size_t>(grid::block_count(static_cast<index_t>(n), p, world.rank()));
  std::vector<K> original(count);
  if (in) {
    const auto io_scope = timer.time("io");
    (void)io::read_box(in->d, box{{static_cast<index_t>(first)}, {static_cast<index_t>(count)}},
                       std::span<K>(original));
    in.reset();
    bool finite = true;
    if constexpr (std::is_same_v<K, double>) {
      finite =
          std::none_of(original.begin(), original.end(), [](double v) { return std::isnan(v); });
    }
    agree_or_throw<input_error>(world, finite, args.text("input") + ": NaN keys cannot be sorted");
  } else {
    K* out = original.data();
#pragma omp parallel for schedule(static) default(none) shared(out, count, first, dist, seed, n)
    for (std::size_t k = 0; k < count; ++k) out[k] = generate_key<K>(dist, seed, first + k, n);
  }

  // Order-independent fingerprint of the input multiset.
  auto fingerprint = [&](const std::vector<K>& v) {
    std::uint64_t h = 0;
    const K* d = v.data();
    const std::size_t len = v.size();
#pragma omp parallel for schedule(static) default(none) shared(d, len) reduction(+ : h)
    for (std::size_t k = 0; k < len; ++k) h += mix(bits_of(d[k]));
    return world.allreduce(h, op::sum);
  };
  const std::uint64_t hash_before = fingerprint(original);

  // Iteration 0 warms up; each iteration sorts a fresh copy of the input.
  std::vector<K> keys;
  double total = 0;
  for (long long iter = 0; iter <= iterations; ++iter) {
    keys = original;
    world.barrier();
    const double t0 = now();
    sample_sort(world, keys, iter > 0 ? &timer : nullptr);
    const double dt = world.allreduce(now() - t0, op::max);
    if (iter > 0) total += dt;
  }
  original.clear();
  original.shrink_to_fit();

  // --- validation ---------------------------------------------------------------------
  const bool locally_sorted = std::is_sorted(keys.begin(), keys.end());
  struct edge {
    K first;
    K last;
    std::uint64_t count;
  };
  const edge mine{keys.empty() ? K{} : keys.front(), keys.empty() ? K{} : keys.back(),
                  static_cast<std::uint64_t>(keys.size())};
  const auto edges = world.allgather(mine);
  bool across = true;
  std::optional<K> previous;
  std::uint64_t total_count = 0;
  std::uint64_t most = 0;
  for (const auto& e : edges) {
    total_count += e.count;
    most = std::max(most, e.count);
    if (e.count == 0) continue;
    if (previous && e.first < *previous) across = false;
    previous = e.last;
  }
  const bool ordered = world.allreduce(locally_sorted ? 1 : 0, op::min) == 1 && across;
  const std::uint64_t hash_after = fingerprint(keys);
  const bool same = total_count == n && hash_after == hash_before;

  // --- output -------------------------------------------------------------------------
  if (args.given("output")) {
    const auto io_scope = timer.time("io");
    const auto ref = args.dataset("output");
    io::output_file out(world, ref.file, args.flag("overwrite"), args.values());
    std::uint64_t before = 0;
    for (int r = 0; r < world.rank(); ++r) before += edges[r].count;
    {
      const auto ds =
          out.create_dataset(ref.path, io::element_type_of<K>(), {static_cast<index_t>(n)});
      (void)io::write_box(ds,
                          box{{static_cast<index_t>(before)}, {static_cast<index_t>(keys.size())}},
                          std::span<const K>(keys));
    }
    out.commit();
  }

  record rec;
  rec.kernel = "sort";
  rec.phases = summarize(world, timer);
  rec.check.passed = ordered && same;
  rec.check.method =
      "non-decreasing within and across ranks; count and order-independent checksum "
      "(sum of mixed key bits mod 2^64) unchanged";
  rec.check.detail = fmt::format("{}; {} keys (expected {}), checksum {:#018x} (expected {:#018x})",
                                 ordered ? "globally sorted" : "NOT sorted", total_count, n,
                                 hash_after, hash_before);
  const double per_sort = iterations > 0 ? total / static_cast<double>(iterations) : 0;
  const double mean = static_cast<double>(n) / p;
  const double balance = mean > 0 ? static_cast<double>(most) / mean : 1.0;
  rec.metrics.push_back({"keys_per_second", per_sort > 0 ? static_cast<double>(n) / per_sort : 0,
                         "keys/s", true, "keys / (slowest rank's time per sort)"});
  rec.metrics.push_back({"bandwidth",
                         per_sort > 0 ? 8.0 * static_cast<double>(n) / per_sort / 1e9 : 0, "GB/s",
                         true, "8 B * keys / (slowest rank's time per sort)"});
  rec.metrics.push_back({"time_per_sort", per_sort, "s", false, "slowest rank"});
  rec.metrics.push_back({"balance", balance, "max/mean", false,
                         "most keys on one rank after the exchange / (keys / ranks)"});
  rec.extra["keys"] = n;
  rec.extra["type"] = type_name;
  rec.extra["distribution"] = args.given("input") ? std::string("input") : dist;
  return rec;
}

record run_sort(const context& ctx) {
  std::string type = ctx.args.text("type");
  if (ctx.args.given("input")) {
    // The file's element type decides: floats sort as f64, integers as i64 or u64.
    auto in = io::open_input(ctx.world, ctx.args.dataset("input"), 1);
    type = in.info.floating() ? "f64" : in.info.is_signed ? "i64" : "u64";
  }
  if (type == "f64") return run_typed<double>(ctx, type);
  if (type == "i64") return run_typed<std::int64_t>(ctx, type);
  return run_typed<std::uint64_t>(ctx, type);
}

}  // namespace

kernel make_sort() {
  return {
      "sort",
      "distributed sample sort of 64-bit keys with alltoallv exchange",
      {
          {.name = "keys",
           .type = param_type::integer,
           .default_value = "16777216",
           .help = "number of keys over all ranks (generated)",
           .min = 0},
          {.name = "type",
           .type = param_type::choice,
           .default_value = "f64",
           .help = "key type (generated keys)",
           .choices = {"f64", "i64", "u64"}},
          {.name = "distribution",
           .type = param_type::choice,
           .default_value = "uniform",
           .help = "how generated keys are distributed",
           .choices = distributions},
          {.name = "seed",
           .type = param_type::integer,
           .default_value = "1",
           .help = "seed of the generated keys",
           .min = 0},
          {.name = "iterations",
           .type = param_type::integer,
           .default_value = "3",
           .help = "timed sorts of the same input (one more untimed warm-up)",
           .min = 1},
          {.name = "input",
           .type = param_type::text,
           .default_value = "none",
           .help = "read keys from FILE:/path (1-D; type from the file)",
           .input = true},
          {.name = "output",
           .type = param_type::text,
           .default_value = "none",
           .help = "write the sorted keys to FILE:/path"},
          {.name = "overwrite",
           .type = param_type::flag,
           .default_value = "false",
           .help = "replace an existing --output file"},
      },
      run_sort,
  };
}

}  // namespace weft::kernels
