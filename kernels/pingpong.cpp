// pingpong: round trips between rank pairs (0<->1, 2<->3, ...) for message sizes from
// min-size to max-size bytes (0 and the powers of two between). Reports one-way latency
// (half the round-trip time) and bandwidth (size / one-way time) per size; with several
// pairs, the slowest pair's figure. With an odd rank count the last rank sits out.
// Validation: each size's payload carries a pattern keyed by the size, echoed unchanged on
// every trip, and both sides check the last message they received, byte for byte.
#include <algorithm>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "registry.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"

namespace weft::kernels {

namespace {

std::uint8_t pattern(std::size_t i, long long key) {
  return static_cast<std::uint8_t>((i * 131u + static_cast<std::size_t>(key) * 7u + 1u) & 0xffu);
}

void fill(std::vector<std::uint8_t>& buf, std::size_t size, long long key) {
  for (std::size_t i = 0; i < size; ++i) buf[i] = pattern(i, key);
}

bool matches(const std::vector<std::uint8_t>& buf, std::size_t size, long long key) {
  for (std::size_t i = 0; i < size; ++i) {
    if (buf[i] != pattern(i, key)) return false;
  }
  return true;
}

record run_pingpong(const context& ctx) {
  const auto& world = ctx.world;
  const long long min_size = ctx.args.integer("min-size");
  const long long max_size = ctx.args.integer("max-size");
  const long long iterations = ctx.args.integer("iterations");
  const long long budget = ctx.args.integer("max-bytes-per-size");
  if (world.size() < 2) {
    throw usage_error("pingpong needs at least 2 ranks (run it as: mpirun -n 2 weft run pingpong)",
                      true);
  }
  if (min_size > max_size) {
    throw usage_error(fmt::format("--min-size {} is larger than --max-size {}", min_size, max_size),
                      true);
  }
  const int r = world.rank();
  const bool active = r < world.size() - world.size() % 2;
  const bool pinger = r % 2 == 0;
  const int partner = pinger ? r + 1 : r - 1;

  std::vector<long long> sizes;
  if (min_size == 0) sizes.push_back(0);
  for (long long s = 1; s <= max_size; s *= 2) {
    if (s >= min_size) sizes.push_back(s);
  }

  std::vector<std::uint8_t> buf(static_cast<std::size_t>(max_size));
  table t{"one-way latency and bandwidth per message size (slowest pair)",
          {"size_B", "iterations", "latency_us", "bandwidth_GB/s"},
          {}};
  bool ok = true;
  phase_timer timer;
  for (const long long size : sizes) {
    const auto bytes = static_cast<std::size_t>(size);
    // Large messages get fewer round trips so every size costs about the same.
    const long long iters =
        std::max(2LL, std::min(iterations, size > 0 ? budget / (2 * size) : iterations));
    const std::span<std::uint8_t> msg(buf.data(), bytes);
    double elapsed = 0;
    if (active) {
      // The pinger's payload is echoed unchanged every trip, so a corruption on any trip
      // survives to the end, where both sides check it. Round trip -1 is the warm-up.
      if (pinger) fill(buf, bytes, size);
      for (long long it = -1; it < iters; ++it) {
        if (it == 0) elapsed = now();
        if (pinger) {
          world.send(std::span<const std::uint8_t>(msg), partner, 1);
          world.recv(msg, partner, 2);
        } else {
          world.recv(msg, partner, 1);
          world.send(std::span<const std::uint8_t>(msg), partner, 2);
        }
      }
      elapsed = now() - elapsed;
      // Both sides now hold the pinger's last payload.
      ok = ok && matches(buf, bytes, size);
    }
    timer.add("communication", elapsed);
    const double slowest = world.allreduce(active ? elapsed : 0.0, op::max);
    const double one_way = slowest / (2.0 * static_cast<double>(iters));
    t.rows.push_back({static_cast<double>(size), static_cast<double>(iters), one_way * 1e6,
                      one_way > 0 ? static_cast<double>(size) / one_way / 1e9 : 0.0});
  }
  const bool all_ok = world.allreduce(ok ? 1 : 0, op::min) == 1;

  record rec;
  rec.kernel = "pingpong";
  rec.phases = summarize(world, timer);
  const auto small =
      std::find_if(t.rows.begin(), t.rows.end(), [](const auto& row) { return row[0] >= 8; });
  const auto& lat_row = small != t.rows.end() ? *small : t.rows.front();
  rec.metrics.push_back({fmt::format("latency_{}B", lat_row[0]), lat_row[2], "us", false,
                         "round-trip time / 2, slowest pair"});
  const auto best = std::max_element(t.rows.begin(), t.rows.end(),
                                     [](const auto& a, const auto& b) { return a[3] < b[3]; });
  rec.metrics.push_back({"bandwidth_peak", (*best)[3], "GB/s", true,
                         fmt::format("size / one-way time, best size ({} B)", (*best)[0])});
  rec.metrics.push_back({fmt::format("bandwidth_{}B", t.rows.back()[0]), t.rows.back()[3], "GB/s",
                         true, "size / one-way time at the largest size"});
  rec.tables.push_back(std::move(t));
  rec.check.passed = all_ok;
  rec.check.method = "byte-for-byte pattern check of the last payload of every size, both sides";
  rec.check.detail = all_ok ? fmt::format("{} sizes, {} pair(s)", sizes.size(), world.size() / 2)
                            : "a payload arrived corrupted";
  return rec;
}

}  // namespace

kernel make_pingpong() {
  return {
      "pingpong",
      "round trips between rank pairs: latency and bandwidth per message size",
      {
          {.name = "min-size",
           .type = param_type::integer,
           .default_value = "0",
           .help = "smallest message (bytes)",
           .min = 0},
          {.name = "max-size",
           .type = param_type::integer,
           .default_value = "16777216",
           .help = "largest message (bytes)",
           .min = 0,
           .max = 1 << 30},
          {.name = "iterations",
           .type = param_type::integer,
           .default_value = "1000",
           .help = "round trips per size (fewer for large sizes)",
           .min = 1},
          {.name = "max-bytes-per-size",
           .type = param_type::integer,
           .default_value = "1073741824",
           .help = "caps round trips so that 2*size*round trips stays under this many bytes",
           .min = 1},
      },
      run_pingpong,
  };
}

}  // namespace weft::kernels
