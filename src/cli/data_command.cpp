// `weft data generate` and `weft data info`.
//
// generate writes one dataset collectively, slab by slab along the first axis; every
// value is a function of (seed, global index) only (weft::par::counter_rng), so the file is
// the same for any rank count. info describes a file on rank 0 with the serial driver.
#include <fcntl.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <type_traits>

#include <fmt/format.h>

#include "commands.hpp"
#include "weft/base/json.hpp"
#include "weft/base/unique_fd.hpp"
#include "weft/core/aligned.hpp"
#include "weft/core/error.hpp"
#include "weft/core/timer.hpp"
#include "weft/grid/decomposition.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"
#include "weft/par/rng.hpp"

namespace weft::cli {

namespace {

void print(const std::string& text) {
  [[maybe_unused]] const auto n = ::write(STDOUT_FILENO, text.data(), text.size());
}

struct generate_options {
  std::string output;
  std::string shape;
  std::string dtype = "f64";
  std::string pattern = "random";
  std::uint64_t seed = 1;
  std::string chunk;
  int compress = 0;
  double value = 1.0;
  bool value_given = false;
  double slab_mib = 0;  // 0: 4 MiB for a contiguous dataset, 64 MiB for a chunked one
  bool force = false;
  bool add = false;  // into an existing file, in place
};

// "--value V" must be a value the element type holds (HDF5 would wrap 300 to 44 in u8).
void check_value_fits(double v, io::element_type t) {
  double lo = 0;
  double hi = 0;
  switch (t) {
    case io::element_type::f32:
      hi = std::numeric_limits<float>::max(), lo = -hi;
      break;
    case io::element_type::f64:
      return;
    case io::element_type::i32:
      lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
      break;
    case io::element_type::i64:
      lo = -0x1p63, hi = 0x1p63;  // exclusive above
      break;
    case io::element_type::u8:
      hi = 255;
      break;
    case io::element_type::u64:
      hi = 0x1p64;
      break;
  }
  const bool integer = t != io::element_type::f32;
  const std::string name = io::to_string(t);
  if (integer && v != std::floor(v)) {
    throw usage_error(fmt::format("--value {:g}: --dtype {} holds integers", v, name));
  }
  if (!(v >= lo && v <= hi) || (hi >= 0x1p63 && v >= hi)) {
    throw usage_error(
        fmt::format("--value {:g} does not fit in --dtype {} ({:g} to {:g})", v, name, lo, hi));
  }
}

// Collective: refuses, before anything is written, a dataset bigger than the space free
// where it would go (uncompressed: every byte is written).
void check_space(const comm_ref& world, const io::dataset_ref& ref, const extents& shape,
                 io::element_type type, int compress) {
  std::string problem;
  if (world.rank() == 0 && compress == 0) {
    double bytes = static_cast<double>(io::size_of(type));
    for (const index_t n : shape) bytes *= static_cast<double>(n);
    const std::filesystem::path file(ref.file);
    const std::filesystem::path dir =
        file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
    std::error_code ec;
    const auto space = std::filesystem::space(dir, ec);
    if (!ec && bytes > static_cast<double>(space.available)) {
      problem = fmt::format("--shape {}: {:.3g} GiB of {} do not fit in the {:.3g} GiB free in {}",
                            to_string(shape), bytes / 0x1p30, io::to_string(type),
                            static_cast<double>(space.available) / 0x1p30, dir.string());
    }
  }
  agree_or_throw<usage_error>(world, problem.empty(), problem);
}

// Collective: --add needs an existing, readable HDF5 file in which ref.path is free and
// every parent on the way is a group (or missing). Rank 0 checks in the metadata probe.
void check_addable(const comm_ref& world, const io::dataset_ref& ref) {
  bool ok = true;
  std::string problem;
  bool bad_input = false;  // an unreadable file (exit 3) rather than a wrong request (exit 2)
  if (world.rank() == 0) {
    try {
      std::error_code ec;
      if (!std::filesystem::exists(ref.file, ec)) {
        throw usage_error("--add: " + ref.file + " does not exist; drop --add to create it");
      }
      if (!io::is_hdf5(ref.file)) {
        throw input_error(ref.file + ": not an HDF5 file; --add adds to an HDF5 file");
      }
      const std::string verdict = io::probed(ref.file, [&] {
        const io::file f = io::open_file_serial(ref.file);
        std::size_t pos = 0;
        while (pos != std::string::npos) {
          pos = ref.path.find('/', pos + 1);
          const std::string prefix = ref.path.substr(0, pos);
          const io::object_kind kind = f.kind_of(prefix);
          if (kind == io::object_kind::missing) return std::string();
          if (pos == std::string::npos) {
            return ref.text() +
                   " exists already; choose another path (or --force without "
                   "--add to replace the whole file)";
          }
          if (kind != io::object_kind::group) {
            return ref.text() + ": '" + prefix + "' is not a group, so nothing can be put in it";
          }
        }
        return std::string();
      });
      if (!verdict.empty()) throw usage_error(verdict);
    } catch (const usage_error& e) {
      ok = false;
      problem = e.what();
    } catch (const std::exception& e) {
      ok = false;
      bad_input = true;
      problem = e.what();
    }
  }
  const auto a = agree(world, ok, problem);
  if (a.ok) return;
  world.bcast(bad_input);
  if (bad_input) throw input_error(a.message, true);
  throw usage_error(a.message, true);
}

enum class pattern_kind { random, gradient, gaussian, constant };

pattern_kind kind_of(const std::string& pattern) {
  if (pattern == "constant") return pattern_kind::constant;
  if (pattern == "gradient") return pattern_kind::gradient;
  if (pattern == "gaussian") return pattern_kind::gaussian;
  return pattern_kind::random;
}

// The random pattern's value from element i's 64 bits (counter_rng::bits(seed, i)):
// uniform on [0, 1) for floats (counter_rng::uniform), [0, 1000000) for i32/i64, [0, 256)
// for u8.
template <class T>
T random_value(std::uint64_t bits) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(par::counter_rng::to_uniform(bits));
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    return static_cast<T>(bits >> 56);
  } else {
    return static_cast<T>(bits % 1000000);
  }
}

// The value of element `i` (global row-major index; `coords` its global coordinates, read
// by the gradient pattern only).
// Axes `weft data generate` writes (--shape takes 1 to 3).
constexpr std::size_t generate_axes = 3;
using coordinates = std::array<index_t, generate_axes>;

template <class T, pattern_kind P>
T element(const generate_options& o, std::uint64_t i, const coordinates& coords,
          const extents& shape) {
  if constexpr (P == pattern_kind::constant) {
    return static_cast<T>(o.value);
  } else if constexpr (P == pattern_kind::gradient) {
    if constexpr (std::is_floating_point_v<T>) {
      double v = 0;
      for (std::size_t d = 0; d < std::min(shape.size(), generate_axes); ++d) {
        v += static_cast<double>(coords[d]) / static_cast<double>(shape[d]);
      }
      return static_cast<T>(v);
    } else {
      index_t v = 0;
      for (std::size_t d = 0; d < std::min(shape.size(), generate_axes); ++d) v += coords[d];
      return static_cast<T>(std::is_same_v<T, std::uint8_t> ? v % 256 : v);
    }
  } else if constexpr (P == pattern_kind::gaussian) {
    const double z = par::counter_rng::normal(o.seed, i);
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(z);
    } else if constexpr (std::is_same_v<T, std::uint8_t>) {
      return static_cast<T>(std::clamp(std::lround(128 + 32 * z), 0L, 255L));
    } else {
      return static_cast<T>(std::llround(1000 * z));
    }
  } else {
    return random_value<T>(par::counter_rng::bits(o.seed, i));
  }
}

// The random pattern, filled from Philox blocks drawn many at a time
// (counter_rng::draw_blocks: AVX-512 or AVX2 where the CPU has them), with the values of
// element().
template <class T>
void fill_random(T* out, index_t n, index_t start, const generate_options& o) {
  constexpr index_t batch = 512;
#pragma omp parallel default(none) shared(out, n, start, o)
  {
    std::array<std::array<std::uint32_t, batch>, 4> w;
#pragma omp for schedule(static)
    for (index_t first = 0; first < n; first += batch) {
      const index_t m = n - first < batch ? n - first : batch;
      par::counter_rng::draw_blocks(o.seed, static_cast<std::uint64_t>(start + first),
                                    static_cast<std::size_t>(m), 0,
                                    {w[0].data(), w[1].data(), w[2].data(), w[3].data()});
      for (index_t k = 0; k < m; ++k) {
        const auto j = static_cast<std::size_t>(k);
        out[first + k] = random_value<T>((std::uint64_t{w[1][j]} << 32) | w[0][j]);
      }
    }
  }
}

// Fills out[k] with element start + k, k < n, with every thread.
template <class T, pattern_kind P>
void fill(T* out, index_t n, index_t start, const generate_options& o, const extents& shape) {
  if constexpr (P == pattern_kind::random) {
    return fill_random(out, n, start, o);
  }
  const std::size_t axes = std::min(shape.size(), generate_axes);
#pragma omp parallel for schedule(static) default(none) shared(out, n, start, o, shape, axes)
  for (index_t k = 0; k < n; ++k) {
    const index_t g = start + k;  // global row-major index
    coordinates coords = {0, 0, 0};
    if constexpr (P == pattern_kind::gradient) {
      index_t rest = g;
      for (std::size_t a = axes; a-- > 0;) {
        coords[a] = rest % shape[a];
        rest /= shape[a];
      }
    }
    out[k] = element<T, P>(o, static_cast<std::uint64_t>(g), coords, shape);
  }
}

template <class T>
void fill(T* out, index_t n, index_t start, const generate_options& o, const extents& shape) {
  switch (kind_of(o.pattern)) {
    case pattern_kind::constant:
      return fill<T, pattern_kind::constant>(out, n, start, o, shape);
    case pattern_kind::gradient:
      return fill<T, pattern_kind::gradient>(out, n, start, o, shape);
    case pattern_kind::gaussian:
      return fill<T, pattern_kind::gaussian>(out, n, start, o, shape);
    case pattern_kind::random:
      return fill<T, pattern_kind::random>(out, n, start, o, shape);
  }
}

// A descriptor of the file being written, through which the disk is told to start
// writing what this process wrote so far, without waiting: the writeback runs while the
// next slab is generated, and the final fsync finds little left. (Linux; elsewhere the
// fsync does it all. Without a descriptor, nothing is started.)
class writeback {
 public:
  explicit writeback(const std::filesystem::path& file) : fd_(unique_fd::open(file, O_RDONLY)) {}
  void start() const {
#ifdef SYNC_FILE_RANGE_WRITE
    if (fd_) (void)::sync_file_range(fd_.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
  }

 private:
  unique_fd fd_;
};

template <class T>
double write_values(const comm_ref& world, const io::dataset& d, const generate_options& o,
                    const extents& shape, const writeback& disk) {
  index_t row = 1;
  for (std::size_t k = 1; k < shape.size(); ++k) row *= shape[k];
  // Contiguous: small slabs, so the buffer a slab is generated into is still in cache when
  // HDF5 copies it out, and the disk starts writing (start_writeback) early. Chunked (and
  // compressed): large ones, so that a chunk is rarely written in parts.
  const double mib = o.slab_mib > 0 ? o.slab_mib : (o.chunk.empty() && o.compress == 0 ? 4 : 64);
  const auto slab_bytes = static_cast<index_t>(mib * 1024 * 1024);
  const index_t rows_per_slab = std::max<index_t>(
      1, slab_bytes / std::max<index_t>(1, row * static_cast<index_t>(sizeof(T))));
  aligned_vector<T> buffer;  // aligned: the copy into the page cache is faster
  double io_seconds = 0;
  for (index_t first = 0; first < shape[0]; first += rows_per_slab) {
    const index_t rows = std::min(rows_per_slab, shape[0] - first);
    box b;
    b.start.assign(shape.size(), 0);
    b.count = shape;
    b.start[0] = first + grid::block_start(rows, world.size(), world.rank());
    b.count[0] = grid::block_count(rows, world.size(), world.rank());
    const index_t n = b.size();
    buffer.resize(static_cast<std::size_t>(n));
    fill(buffer.data(), n, b.start[0] * row, o, shape);
    const double t0 = now();
    (void)io::write_box(d, b, std::span<const T>(buffer));
    disk.start();
    io_seconds += now() - t0;
  }
  return io_seconds;
}

int run_generate(const comm_ref& world, const generate_options& o) {
  // Every rank parsed the same command line: these errors are collective.
  io::dataset_ref ref;
  extents shape, chunk;
  io::element_type type{};
  try {
    ref = io::parse_dataset_ref(o.output, "--output");
    shape = parse_extents(o.shape, "--shape");
    if (!o.chunk.empty()) chunk = parse_extents(o.chunk, "--chunk");
    type = io::parse_element_type(o.dtype, "--dtype");
    if (!chunk.empty() && chunk.size() != shape.size()) {
      throw usage_error("--chunk '" + o.chunk + "' has " + std::to_string(chunk.size()) +
                        " axes but --shape '" + o.shape + "' has " + std::to_string(shape.size()));
    }
    if (o.value_given && o.pattern != "constant") {
      throw usage_error("--value sets the value of --pattern constant; --pattern " + o.pattern +
                        " does not use it");
    }
    if (o.pattern == "constant") check_value_fits(o.value, type);
  } catch (const usage_error& e) {
    throw usage_error(e.what(), true);
  }
  const json params = {{"output", o.output},     {"shape", o.shape}, {"dtype", o.dtype},
                       {"pattern", o.pattern},   {"seed", o.seed},   {"chunk", o.chunk},
                       {"compress", o.compress}, {"value", o.value}};
  if (o.add && o.force) {
    throw usage_error(
        "--add puts a dataset into an existing file and --force replaces the file; "
        "use one of them",
        true);
  }
  if (o.add) check_addable(world, ref);
  check_space(world, ref, shape, type, o.compress);
  world.barrier();
  const double start = now();
  std::optional<io::output_file> out;
  io::file existing;
  if (o.add) {
    existing = io::open_file(world, ref.file, true);
  } else {
    out.emplace(world, ref.file, o.force, params);
  }
  double io_seconds = 0;
  const writeback disk(o.add ? std::filesystem::path(ref.file) : out->temporary());
  try {
    const auto d = o.add ? io::create_dataset(existing.native_handle(), ref.path, type, shape,
                                              {chunk, o.compress})
                         : out->create_dataset(ref.path, type, shape, {chunk, o.compress});
    d.write_attribute("pattern", o.pattern);
    d.write_attribute("seed", static_cast<long long>(o.seed));
    if (o.add) d.write_attribute("parameters", params.dump());
    io_seconds = io::visit_element_type(type, [&]<class T>(std::type_identity<T>) {
      return write_values<T>(world, d, o, shape, disk);
    });
  } catch (...) {
    // In place, a failed write leaves no dataset behind (its space stays in the file).
    if (o.add) (void)H5Ldelete(existing.native_handle(), ref.path.c_str(), H5P_DEFAULT);
    throw;
  }
  if (o.add) {
    existing.close();
  } else {
    out->commit();
  }
  const double seconds = now() - start;
  const double slowest_io = world.allreduce(io_seconds, op::max);
  if (world.rank() == 0) {
    const double bytes =
        static_cast<double>(element_count(shape)) * static_cast<double>(io::size_of(type));
    print(
        fmt::format("wrote {}: {} {} ({} pattern, seed {}), {:.1f} MiB in {:.3f} s ({:.2f} GB/s; "
                    "writing {:.3f} s)\n",
                    ref.text(), o.shape, o.dtype, o.pattern, o.seed, bytes / (1 << 20), seconds,
                    bytes / seconds / 1e9, slowest_io));
  }
  return 0;
}

// What `weft data info` lists: one entry per object, as JSON, so that the probe's child
// can send it and the parent print it as text or as JSON (--json).
//   {"file": F, "bytes": N, "objects": [{"path", "kind": "group"|"dataset"|"other",
//     "shape", "type", "chunks", "filters", "attributes": {name: text}, "problem"}]}
json attributes_of(const auto& object) {
  json a = json::object();
  for (const auto& [name, value] : object.attributes()) a[name] = value;
  return a;
}

json dataset_entry(const io::dataset& d, const std::string& path) {
  const auto info = d.info(path);
  json fills = json::array();
  for (const auto& f : info.fills) {
    fills.push_back(
        {{"value", f.value != f.value ? json("NaN") : json(f.value)}, {"source", f.source}});
  }
  json entry = {{"path", path},         {"kind", "dataset"},
                {"shape", info.shape},  {"type", info.type_text},
                {"chunks", info.chunk}, {"filters", info.filters},
                {"fill_values", fills}, {"attributes", attributes_of(d)}};
  if (!info.fields.empty()) {
    json fields = json::array();
    for (const auto& f : info.fields) fields.push_back({{"name", f.name}, {"type", f.type}});
    entry["fields"] = fields;
  }
  return entry;
}

// Every object below `where` (a file or a group whose own path is `base`).
template <class Location>
void list_below(const Location& where, const std::string& base, json& objects) {
  where.visit([&](const std::string& relative, io::object_kind kind) {
    const std::string path = (base == "/" ? "/" : base + "/") + relative;
    try {
      switch (kind) {
        case io::object_kind::dataset:
          objects.push_back(dataset_entry(where.open_dataset(relative), path));
          break;
        case io::object_kind::group:
          objects.push_back({{"path", path},
                             {"kind", "group"},
                             {"attributes", attributes_of(where.open_group(relative))}});
          break;
        default:
          objects.push_back({{"path", path}, {"kind", "other"}});
      }
    } catch (const std::exception& e) {
      objects.push_back({{"path", path}, {"kind", "other"}, {"problem", e.what()}});
    }
  });
}

// The listing of FILE or FILE:/path; throws input_error. Reads metadata only (run it in
// the probe).
json list_target(const io::dataset_ref& ref) {
  json out = {{"file", ref.file}};
  json objects = json::array();
  if (!ref.path.empty()) {
    // Named object: the kernels' input checks explain a file that does not open.
    const auto f = [&] {
      try {
        return io::open_file_serial(ref.file);
      } catch (const std::exception&) {
        (void)io::check_input(ref);  // throws the precise input_error
        throw;
      }
    }();
    switch (f.kind_of(ref.path)) {
      case io::object_kind::missing:
        throw input_error(ref.text() + ": no such dataset or group");
      case io::object_kind::dataset:
        objects.push_back(dataset_entry(f.open_dataset(ref.path), ref.path));
        break;
      case io::object_kind::group: {
        const auto g = f.open_group(ref.path);
        objects.push_back(
            {{"path", ref.path}, {"kind", "group"}, {"attributes", attributes_of(g)}});
        list_below(g, ref.path, objects);
        break;
      }
      case io::object_kind::other:
        objects.push_back({{"path", ref.path}, {"kind", "other"}});
        break;
    }
    out["objects"] = std::move(objects);
    return out;
  }
  if (!io::is_hdf5(ref.file)) throw input_error(ref.file + ": not an HDF5 file");
  io::file f;
  try {
    f = io::open_file_serial(ref.file);
  } catch (const std::exception& e) {
    throw input_error(ref.file + ": cannot open as HDF5 (truncated or damaged file?)");
  }
  std::error_code ec;
  out["bytes"] = std::filesystem::file_size(ref.file, ec);
  objects.push_back({{"path", "/"}, {"kind", "group"}, {"attributes", attributes_of(f)}});
  list_below(f, "/", objects);
  out["objects"] = std::move(objects);
  return out;
}

// The listing as text: one line per object, its attributes indented below.
std::string as_text(const json& listing) {
  std::string out;
  if (listing.contains("bytes")) {
    out += fmt::format("{} ({} bytes)\n", listing.at("file").get<std::string>(),
                       listing.at("bytes").get<std::uintmax_t>());
  }
  for (const auto& o : listing.at("objects")) {
    const std::string path = o.at("path");
    const std::string kind = o.at("kind");
    if (o.contains("problem")) {
      out += fmt::format("{}  (unreadable: {})\n", path, o.at("problem").get<std::string>());
      continue;
    }
    if (kind == "dataset") {
      const extents shape = o.at("shape");
      const extents chunks = o.at("chunks");
      out +=
          fmt::format("{}  dataset {} {}", path, to_string(shape), o.at("type").get<std::string>());
      out += chunks.empty() ? ", contiguous" : ", chunks " + to_string(chunks);
      if (!o.at("filters").empty()) {
        out += ", filters";
        for (const auto& f : o.at("filters")) out += " " + f.get<std::string>();
      }
      // Fill values, each with where it was declared: "fill -999 (_FillValue, HDF5 fill value)".
      std::vector<std::pair<std::string, std::string>> fills;
      for (const auto& f : o.value("fill_values", json::array())) {
        // A float32 dataset's value reads as float32 (1e+20, not 1.0000000200408773e+20).
        const bool f32 = o.at("type").get<std::string>().starts_with("float32");
        const json& value = f.at("value");
        const std::string v = value.is_string() ? value.get<std::string>()
                              : f32 ? fmt::format("{}", static_cast<float>(value.get<double>()))
                                    : fmt::format("{}", value.get<double>());
        auto same =
            std::find_if(fills.begin(), fills.end(), [&](const auto& x) { return x.first == v; });
        if (same == fills.end()) {
          fills.emplace_back(v, f.at("source").get<std::string>());
        } else {
          same->second += ", " + f.at("source").get<std::string>();
        }
      }
      for (const auto& [v, source] : fills) out += fmt::format(", fill {} ({})", v, source);
      out += "\n";
      if (o.contains("fields")) {
        out += "    fields:";
        for (const auto& f : o.at("fields")) {
          out +=
              " #" + f.at("name").get<std::string>() + " " + f.at("type").get<std::string>() + ",";
        }
        out.back() = '\n';
      }
    } else {
      out += path + (kind == "group" ? "  group\n" : "  (other object)\n");
    }
    const json attributes = o.value("attributes", json::object());
    for (const auto& [name, value] : attributes.items()) {
      std::string v = value;
      if (v.size() > 200) v = v.substr(0, 197) + "...";
      out += fmt::format("    @{} = {}\n", name, v);
    }
  }
  return out;
}

int run_data_info(const comm_ref& world, const std::string& target, bool as_json) {
  io::dataset_ref ref;
  try {
    ref = io::parse_dataset_ref(target, "", false);
  } catch (const usage_error& e) {
    throw usage_error(e.what(), true);
  }
  bool ok = true;
  std::string message, out;
  if (world.rank() == 0) {
    try {
      // Outside the probe: the cheap file-system checks with their own messages.
      std::error_code ec;
      if (!std::filesystem::exists(ref.file, ec)) throw input_error(ref.file + ": no such file");
      if (std::filesystem::is_directory(ref.file, ec)) {
        throw input_error(ref.file + ": is a folder; give an HDF5 file");
      }
      const json listing =
          json::parse(io::probed(ref.file, [&] { return list_target(ref).dump(); }));
      out = as_json ? listing.dump(2) + "\n" : as_text(listing);
    } catch (const std::exception& e) {
      ok = false;
      message = e.what();
    }
  }
  const auto a = agree(world, ok, message);
  if (!a.ok) throw input_error(a.message, true);
  if (world.rank() == 0) print(out);
  return 0;
}

}  // namespace

void add_data(CLI::App& app, action& chosen) {
  auto* data = app.add_subcommand("data", "generate and inspect HDF5 datasets");
  data->require_subcommand(1);

  auto o = std::make_shared<generate_options>();
  auto* gen = data->add_subcommand(
      "generate", "write a dataset collectively; same values for the same seed at any rank count");
  gen->add_option("-o,--output", o->output, "FILE:/path of the dataset to write")->required();
  gen->add_option("--shape", o->shape, "global shape, e.g. 8192x8192 (1 to 3 axes)")->required();
  gen->add_option("--dtype", o->dtype, "element type")
      ->check(CLI::IsMember({"f32", "f64", "i32", "i64", "u8", "u64"}))
      ->capture_default_str();
  gen->add_option("--pattern", o->pattern, "values")
      ->check(CLI::IsMember({"random", "gradient", "gaussian", "constant"}))
      ->capture_default_str();
  gen->add_option("--seed", o->seed, "seed of the random patterns")->capture_default_str();
  gen->add_option("--value", o->value, "the value of --pattern constant")->capture_default_str();
  gen->add_option("--chunk", o->chunk, "chunk shape, e.g. 512x512 (default: contiguous)");
  gen->add_option("--compress", o->compress, "gzip level 1-9 (chunked; default 0: none)")
      ->check(CLI::Range(0, 9));
  gen->add_option("--slab-mib", o->slab_mib,
                  "MiB generated and written per collective step (default: 4, or 64 when "
                  "chunked or compressed)")
      ->check(CLI::Range(0.001, 1e6));
  gen->add_flag("--force", o->force, "replace an existing output file");
  gen->add_flag("--add", o->add,
                "add the dataset to an existing file (in place; the path must be free)");
  gen->callback([&chosen, o, gen] {
    o->value_given = gen->get_option("--value")->count() > 0;
    chosen = [o](const comm_ref& world) { return run_generate(world, *o); };
  });

  auto target = std::make_shared<std::string>();
  auto* info = data->add_subcommand("info", "datasets, shapes, types, chunks, filters, attributes");
  info->add_option("target", *target, "FILE or FILE:/path")->required();
  info->add_flag_callback(
      "--trust-input", [] { io::set_probe(false); },
      "read the file in this process, without the metadata probe (WEFT_PROBE=off)");
  auto json_out = std::make_shared<bool>(false);
  info->add_flag("--json", *json_out,
                 "print the listing as JSON: file, bytes, objects (path, kind, shape, type, "
                 "chunks, filters, attributes)");
  info->callback([&chosen, target, json_out] {
    chosen = [target, json_out](const comm_ref& world) {
      return run_data_info(world, *target, *json_out);
    };
  });
}

}  // namespace weft::cli
