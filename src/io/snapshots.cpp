#include "weft/io/snapshots.hpp"

#include <charconv>
#include <exception>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "weft/base/staged_file.hpp"
#include "weft/core/log.hpp"
#include "weft/io/file.hpp"

namespace weft::io {

namespace {

// XDMF's NumberType and Precision of an element type.
std::pair<const char*, std::size_t> xdmf_number(element_type t) {
  switch (t) {
    case element_type::f32:
    case element_type::f64:
      return {"Float", size_of(t)};
    case element_type::u8:
    case element_type::u64:
      return {"UInt", size_of(t)};
    default:
      return {"Int", size_of(t)};
  }
}

constexpr const char* step_prefix = "step_";

}  // namespace

void write_xdmf(const std::filesystem::path& path, const std::string& h5_file, const extents& shape,
                element_type type, const std::string& field, std::span<const xdmf_step> steps) {
  const std::size_t axes = shape.size();
  if (axes < 1 || axes > 3) throw std::invalid_argument("XDMF series need 1 to 3 axes");
  std::string dims;
  std::string zeros;
  std::string ones;
  for (std::size_t d = 0; d < axes; ++d) {
    dims += (d ? " " : "") + std::to_string(shape[d]);
    zeros += d ? " 0" : "0";
    ones += d ? " 1" : "1";
  }
  // XDMF has no 1-D CoRectMesh: a 1-D field is a 2-D one of a single row.
  const std::size_t mesh_axes = axes == 1 ? 2 : axes;
  if (axes == 1) {
    dims = "1 " + dims;
    zeros = "0 0";
    ones = "1 1";
  }
  const char* geometry = mesh_axes == 2 ? "ORIGIN_DXDY" : "ORIGIN_DXDYDZ";
  const auto [number, precision] = xdmf_number(type);
  std::string x =
      "<?xml version=\"1.0\" ?>\n<Xdmf Version=\"3.0\">\n <Domain>\n"
      "  <Grid Name=\"" +
      field + "\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
  for (const xdmf_step& s : steps) {
    x += fmt::format(
        "   <Grid Name=\"{0}\" GridType=\"Uniform\">\n"
        "    <Time Value=\"{1:.17g}\"/>\n"
        "    <Topology TopologyType=\"{2}DCoRectMesh\" Dimensions=\"{3}\"/>\n"
        "    <Geometry GeometryType=\"{4}\">\n"
        "     <DataItem Dimensions=\"{2}\" Format=\"XML\">{5}</DataItem>\n"
        "     <DataItem Dimensions=\"{2}\" Format=\"XML\">{6}</DataItem>\n"
        "    </Geometry>\n"
        "    <Attribute Name=\"{7}\" AttributeType=\"Scalar\" Center=\"Node\">\n"
        "     <DataItem Dimensions=\"{3}\" NumberType=\"{8}\" Precision=\"{9}\" "
        "Format=\"HDF\">{10}:{0}</DataItem>\n"
        "    </Attribute>\n   </Grid>\n",
        s.dataset, s.time, mesh_axes, dims, geometry, zeros, ones, field, number, precision,
        h5_file);
  }
  x += "  </Grid>\n </Domain>\n</Xdmf>\n";
  write_file_atomically(path, x);
}

snapshot_series::snapshot_series(const comm_ref& c, std::filesystem::path path, extents shape,
                                 snapshot_options options)
    : c_(c.native_handle()),
      path_(std::move(path)),
      shape_(std::move(shape)),
      options_(std::move(options)) {
  // Rank 0 reads what an intact file holds; a missing or damaged one (a run killed while
  // writing it) starts a new series.
  int keep = 0;
  if (c_.rank() == 0 && options_.resume && std::filesystem::exists(path_)) {
    try {
      const file f = open_file_serial(path_);
      if (f.kind_of(options_.group) == object_kind::group) {
        const group g = f.open_group(options_.group);
        g.visit([&](const std::string& name, object_kind k) {
          if (k != object_kind::dataset || name.rfind(step_prefix, 0) != 0) return;
          const std::string_view digits = std::string_view(name).substr(5);
          long long step = 0;
          const auto [end, ec] =
              std::from_chars(digits.data(), digits.data() + digits.size(), step);
          if (ec != std::errc() || end != digits.data() + digits.size()) return;
          const dataset d = g.open_dataset(name);
          steps_[step] = d.read_number_attribute("time").value_or(static_cast<double>(step));
        });
      }
      keep = 1;
    } catch (const std::exception&) {
      steps_.clear();
      log::warn("{} is damaged; starting a new snapshot series", path_.string());
    }
  }
  c_.bcast(keep, 0);
  if (keep == 0) {
    output_file out(c_, path_, true, options_.parameters);
    out.commit();
  }
}

std::filesystem::path snapshot_series::xdmf_path() const {
  std::filesystem::path p = path_;
  return p.replace_extension(".xdmf");
}

std::string snapshot_series::dataset_of(long long step) const {
  return fmt::format("{}/{}{:08d}", options_.group, step_prefix, step);
}

dataset snapshot_series::open_step(const file& f, long long step, double time, element_type type) {
  type_ = type;
  const std::string name = dataset_of(step);
  if (f.contains(name)) return f.open_dataset(name);
  dataset d = f.create_dataset(name, type, shape_);
  d.write_attribute("time", time);
  d.write_attribute("step", step);
  return d;
}

void snapshot_series::written(long long step, double time) {
  steps_[step] = time;
  if (!options_.xdmf || c_.rank() != 0) return;
  std::vector<xdmf_step> list;
  list.reserve(steps_.size());
  for (const auto& [s, t] : steps_) list.push_back({dataset_of(s), t});
  write_xdmf(xdmf_path(), path_.filename().string(), shape_, type_, options_.attribute, list);
}

}  // namespace weft::io
