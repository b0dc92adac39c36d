#include "weft/io/dataset.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "weft/base/isolated.hpp"
#include "weft/core/error.hpp"

namespace weft::io {

namespace fs = std::filesystem;

element_type parse_element_type(const std::string& text, const std::string& option) {
  if (text == "f32") return element_type::f32;
  if (text == "f64") return element_type::f64;
  if (text == "i32") return element_type::i32;
  if (text == "i64") return element_type::i64;
  if (text == "u8") return element_type::u8;
  if (text == "u64") return element_type::u64;
  throw usage_error(option + " '" + text + "': expected one of f32, f64, i32, i64, u8, u64");
}

std::string to_string(element_type t) {
  switch (t) {
    case element_type::f32:
      return "f32";
    case element_type::f64:
      return "f64";
    case element_type::i32:
      return "i32";
    case element_type::i64:
      return "i64";
    case element_type::u8:
      return "u8";
    case element_type::u64:
      return "u64";
  }
  return "?";
}

std::size_t size_of(element_type t) {
  switch (t) {
    case element_type::u8:
      return 1;
    case element_type::f32:
    case element_type::i32:
      return 4;
    case element_type::f64:
    case element_type::i64:
    case element_type::u64:
      return 8;
  }
  return 0;
}

hid_t file_type(element_type t) {
  switch (t) {
    case element_type::f32:
      return H5T_IEEE_F32LE;
    case element_type::f64:
      return H5T_IEEE_F64LE;
    case element_type::i32:
      return H5T_STD_I32LE;
    case element_type::i64:
      return H5T_STD_I64LE;
    case element_type::u8:
      return H5T_STD_U8LE;
    case element_type::u64:
      return H5T_STD_U64LE;
  }
  return H5I_INVALID_HID;
}

hid_t memory_type(element_type t) {
  switch (t) {
    case element_type::f32:
      return H5T_NATIVE_FLOAT;
    case element_type::f64:
      return H5T_NATIVE_DOUBLE;
    case element_type::i32:
      return H5T_NATIVE_INT32;
    case element_type::i64:
      return H5T_NATIVE_INT64;
    case element_type::u8:
      return H5T_NATIVE_UINT8;
    case element_type::u64:
      return H5T_NATIVE_UINT64;
  }
  return H5I_INVALID_HID;
}

index_t dataset_info::size() const noexcept {
  index_t n = 1;
  for (const index_t e : shape) n *= e;
  return n;
}

std::string dataset_info::shape_text() const {
  if (shape.empty()) return "scalar";
  std::string t;
  for (std::size_t d = 0; d < shape.size(); ++d) t += (d ? "x" : "") + std::to_string(shape[d]);
  return t;
}

namespace {

std::string type_text(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t bits = 8 * H5Tget_size(type);
  const bool be = H5Tget_order(type) == H5T_ORDER_BE;
  switch (cls) {
    case H5T_INTEGER:
      return fmt::format("{}{}{}", H5Tget_sign(type) == H5T_SGN_2 ? "int" : "uint", bits,
                         be ? " big-endian" : "");
    case H5T_FLOAT:
      return fmt::format("float{}{}", bits, be ? " big-endian" : "");
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM: {
      const datatype base(H5Tget_super(type));
      return base.native_handle() < 0 ? "enum" : "enum of " + type_text(base.native_handle());
    }
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "variable-length";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_REFERENCE:
      return "reference";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_TIME:
      return "time";
    default:
      return "unknown";
  }
}

// Filters from The HDF Group's registry that files from h5py, PyTables, netCDF-4 and
// hdf5plugin carry, with the Debian package that brings each plugin.
struct known_filter {
  H5Z_filter_t id;
  const char* name;
  const char* package;
};
constexpr known_filter known_filters[] = {
    {307, "bzip2", "hdf5-filter-plugin"},
    {32000, "lzf", "hdf5-plugin-lzf"},
    {32001, "blosc", "hdf5-filter-plugin-blosc-serial"},
    {32004, "lz4", "hdf5-filter-plugin"},
    {32008, "bitshuffle", "hdf5-filter-plugin"},
    {32013, "zfp", "hdf5-filter-plugin-zfp-serial"},
    {32015, "zstd", ""},
    {32017, "sz", ""},
    {32026, "blosc2", ""},
};

const known_filter* find_filter(H5Z_filter_t id) {
  for (const auto& f : known_filters) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

const char* registered_filter_name(H5Z_filter_t id) {
  const known_filter* f = find_filter(id);
  return f != nullptr ? f->name : nullptr;
}

std::string filter_text(H5Z_filter_t id, const unsigned* cd, std::size_t ncd) {
  switch (id) {
    case H5Z_FILTER_DEFLATE:
      return ncd > 0 ? fmt::format("deflate({})", cd[0]) : "deflate";
    case H5Z_FILTER_SHUFFLE:
      return "shuffle";
    case H5Z_FILTER_FLETCHER32:
      return "fletcher32";
    case H5Z_FILTER_SZIP:
      return "szip";
    case H5Z_FILTER_NBIT:
      return "nbit";
    case H5Z_FILTER_SCALEOFFSET:
      return "scaleoffset";
    default: {
      const char* name = registered_filter_name(id);
      return name != nullptr ? fmt::format("{} ({})", name, id) : fmt::format("filter {}", id);
    }
  }
}

// The values of a numeric attribute of `d` (one or a few), as doubles; none when the
// attribute is absent, not numeric, or larger than a handful of values.
std::vector<double> numeric_attribute(hid_t d, const char* name) {
  if (H5Aexists(d, name) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return {};
  }
  const attribute a(H5Aopen(d, name, H5P_DEFAULT));
  if (a.native_handle() < 0) return {};
  const datatype t(H5Aget_type(a.native_handle()));
  const H5T_class_t cls = H5Tget_class(t.native_handle());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) return {};
  const dataspace space(H5Aget_space(a.native_handle()));
  const hssize_t n = H5Sget_simple_extent_npoints(space.native_handle());
  if (n < 1 || n > 16) return {};
  std::vector<double> v(static_cast<std::size_t>(n));
  if (H5Aread(a.native_handle(), H5T_NATIVE_DOUBLE, v.data()) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return {};
  }
  return v;
}

// Every leaf member of compound `type` as "prefix.name type", depth first.
void leaf_fields(hid_t type, const std::string& prefix, std::vector<field_info>& out) {
  const int n = H5Tget_nmembers(type);
  for (int i = 0; i < n && out.size() < 256; ++i) {
    char* name = H5Tget_member_name(type, static_cast<unsigned>(i));
    const datatype member(H5Tget_member_type(type, static_cast<unsigned>(i)));
    if (name == nullptr || member.native_handle() < 0) {
      if (name != nullptr) H5free_memory(name);
      H5Eclear2(H5E_DEFAULT);
      continue;
    }
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    H5free_memory(name);
    if (H5Tget_class(member.native_handle()) == H5T_COMPOUND) {
      leaf_fields(member.native_handle(), path, out);
    } else {
      out.push_back({path, type_text(member.native_handle())});
    }
  }
}

std::vector<fill_value> fill_values(hid_t d, hid_t dcpl) {
  std::vector<fill_value> out;
  auto add = [&](double v, const char* source) { out.push_back({v, source}); };
  H5D_fill_value_t status = H5D_FILL_VALUE_UNDEFINED;
  if (H5Pfill_value_defined(dcpl, &status) >= 0 && status == H5D_FILL_VALUE_USER_DEFINED) {
    double v = 0;
    if (H5Pget_fill_value(dcpl, H5T_NATIVE_DOUBLE, &v) >= 0) add(v, "HDF5 fill value");
  }
  for (const double v : numeric_attribute(d, "_FillValue")) add(v, "_FillValue");
  for (const double v : numeric_attribute(d, "missing_value")) add(v, "missing_value");
  H5Eclear2(H5E_DEFAULT);
  return out;
}

}  // namespace

datatype field_type(const std::vector<std::string>& field, hid_t native) {
  datatype t(WEFT_H5_CHECK(H5Tcopy(native)));
  for (auto it = field.rbegin(); it != field.rend(); ++it) {
    datatype outer(WEFT_H5_CHECK(H5Tcreate(H5T_COMPOUND, H5Tget_size(t.native_handle()))));
    WEFT_H5_CHECK(H5Tinsert(outer.native_handle(), it->c_str(), 0, t.native_handle()));
    t = std::move(outer);
  }
  return t;
}

dataset_info describe(hid_t d, const std::string& path) {
  dataset_info info;
  info.path = path;
  const datatype type(WEFT_H5_CHECK(H5Dget_type(d)));
  info.type_class = H5Tget_class(type.native_handle());
  info.type_size = H5Tget_size(type.native_handle());
  info.is_signed = info.type_class == H5T_FLOAT || (info.type_class == H5T_INTEGER &&
                                                    H5Tget_sign(type.native_handle()) == H5T_SGN_2);
  info.big_endian = (info.type_class == H5T_INTEGER || info.type_class == H5T_FLOAT) &&
                    H5Tget_order(type.native_handle()) == H5T_ORDER_BE;
  info.type_text = type_text(type.native_handle());
  const dataspace space(WEFT_H5_CHECK(H5Dget_space(d)));
  const int rank = WEFT_H5_CHECK(H5Sget_simple_extent_ndims(space.native_handle()));
  if (rank > 0) {
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    WEFT_H5_CHECK(H5Sget_simple_extent_dims(space.native_handle(), dims.data(), nullptr));
    info.shape.assign(dims.begin(), dims.end());
  } else if (H5Sget_simple_extent_type(space.native_handle()) == H5S_NULL) {
    info.shape = {0};
  }
  const property_list dcpl(WEFT_H5_CHECK(H5Dget_create_plist(d)));
  if (H5Pget_layout(dcpl.native_handle()) == H5D_CHUNKED && rank > 0) {
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank));
    WEFT_H5_CHECK(H5Pget_chunk(dcpl.native_handle(), rank, chunk.data()));
    info.chunk.assign(chunk.begin(), chunk.end());
  }
  const int nfilters = H5Pget_nfilters(dcpl.native_handle());
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0, cd[8] = {}, config = 0;
    std::size_t ncd = 8;
    char name[64] = {};
    const H5Z_filter_t id = H5Pget_filter2(dcpl.native_handle(), static_cast<unsigned>(i), &flags,
                                           &ncd, cd, sizeof(name), name, &config);
    info.filters.push_back(filter_text(id, cd, std::min<std::size_t>(ncd, 8)));
  }
  if (info.numeric()) info.fills = fill_values(d, dcpl.native_handle());
  if (info.type_class == H5T_COMPOUND) leaf_fields(type.native_handle(), "", info.fields);
  return info;
}

namespace {

// "" when HDF5 can decode every filter of the dataset's pipeline; else what to do, in
// words: the filter, its plugin's package and HDF5_PLUGIN_PATH.
std::string missing_filter(hid_t d) {
  const property_list dcpl(WEFT_H5_CHECK(H5Dget_create_plist(d)));
  const int n = H5Pget_nfilters(dcpl.native_handle());
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0;
    std::size_t ncd = 0;
    unsigned config = 0;
    char name[64] = {};
    const H5Z_filter_t id = H5Pget_filter2(dcpl.native_handle(), static_cast<unsigned>(i), &flags,
                                           &ncd, nullptr, sizeof(name), name, &config);
    if (id < 0) continue;
    const htri_t avail = H5Zfilter_avail(id);  // loads a plugin when one is found
    H5Eclear2(H5E_DEFAULT);
    if (avail > 0) continue;
    const known_filter* f = find_filter(id);
    const std::string what = f != nullptr ? fmt::format("the {} filter ({})", f->name, id)
                                          : fmt::format("filter {}", id);
    const std::string package =
        f != nullptr && *f->package != '\0' ? fmt::format(" (Debian: {})", f->package) : "";
    const char* path = std::getenv("HDF5_PLUGIN_PATH");
    return fmt::format(
        "is compressed with {}, which this HDF5 cannot decode: install its plugin{} and set "
        "HDF5_PLUGIN_PATH to the plugin's folder{}",
        what, package, path != nullptr ? fmt::format(" (now: {})", path) : "");
  }
  return "";
}

// The innermost (most specific) message of HDF5's error stack.
std::string innermost_error() {
  const std::string stack = take_error_stack();
  const auto pos = stack.rfind("; ");
  return pos == std::string::npos ? stack : stack.substr(pos + 2);
}

}  // namespace

namespace {
std::optional<bool> probe_override;
bool inside_probe = false;  // in the probe's child: nested probes run in place
// check_input's checks, in this process; with `every_attribute`, every attribute of the
// dataset is read too (in the probe: what a command may touch later).
dataset_info check_input_here(const dataset_ref& ref, int max_axes, bool every_attribute = false);
}  // namespace

probe_settings probe() {
  probe_settings p;
  const char* on = std::getenv("WEFT_PROBE");
  if (on != nullptr && (std::string(on) == "off" || std::string(on) == "0")) p.enabled = false;
  if (probe_override) p.enabled = *probe_override;
  if (const char* t = std::getenv("WEFT_PROBE_SECONDS"); t != nullptr) {
    char* end = nullptr;
    const double v = std::strtod(t, &end);
    if (end != t && v > 0) p.seconds = v;
  }
  return p;
}

void set_probe(bool enabled) {
  probe_override = enabled;
}

namespace {

// First thing in a probe's child.
void enter_probe() {
  inside_probe = true;
  quiet_hdf5();
}

// Throws the damaged-file input_error for a probe that crashed or ran out of time.
void throw_if_damaged(const std::string& file, const isolated_result& r, double seconds) {
  const std::string damaged =
      file + ": damaged HDF5 file: the HDF5 library failed reading its metadata";
  if (r.how == isolated_outcome::crashed) {
    throw input_error(r.signal != 0 ? fmt::format("{} (SIG{})", damaged, ::sigabbrev_np(r.signal))
                                    : damaged + " (it ended without an answer)");
  }
  if (r.how == isolated_outcome::timed_out) {
    throw input_error(fmt::format(
        "{} (no answer in {:g} s; raise WEFT_PROBE_SECONDS for a file with very many objects)",
        damaged, seconds));
  }
}

// What identifies a file's content for the probe: device, inode, size, modification time.
std::string identity_of(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  return fmt::format("{}:{}:{}:{}.{}", st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec);
}

// The probe of one input: check_input's checks with any number of axes and every
// attribute read. An input_error there is not damage: the checks run again here and say
// it precisely.
isolated_task* start_probe(const dataset_ref& ref, double seconds) {
  return new isolated_task(
      [ref] {
        enter_probe();
        (void)check_input_here(ref, any_axes, true);
        return std::string();
      },
      {.seconds = seconds});
}

struct pending_probe {
  dataset_ref ref;
  std::string identity;
  std::unique_ptr<isolated_task> task;
};
std::vector<pending_probe>& pending() {
  static std::vector<pending_probe> list;
  return list;
}

}  // namespace

void probe_ahead(const dataset_ref& ref) {
  const probe_settings p = probe();
  const std::string identity = identity_of(ref.file);
  if (!p.enabled || inside_probe || identity.empty() || ref.path.empty()) return;
  pending().push_back({ref, identity, std::unique_ptr<isolated_task>(start_probe(ref, p.seconds))});
}

std::string probed(const std::string& file, const std::function<std::string()>& work) {
  const probe_settings p = probe();
  if (!p.enabled || inside_probe) return work();
  const isolated_result r = run_isolated(
      [&] {
        enter_probe();
        return work();
      },
      {.seconds = p.seconds});
  throw_if_damaged(file, r, p.seconds);
  if (r.how == isolated_outcome::ok) return r.text;
  if (r.how == isolated_outcome::failed) throw input_error(r.text);
  return work();  // no child could be started: read it here, as without the probe
}

dataset_info check_input(const dataset_ref& ref, int max_axes) {
  const probe_settings p = probe();
  if (p.enabled && !inside_probe) {
    // A probe started ahead of time for this very file, or one now.
    const std::string identity = identity_of(ref.file);
    std::unique_ptr<isolated_task> task;
    auto& list = pending();
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (it->ref.file == ref.file && it->ref.path == ref.path && it->ref.field == ref.field &&
          it->identity == identity) {
        task = std::move(it->task);
        list.erase(it);
        break;
      }
    }
    if (!task && !identity.empty()) task.reset(start_probe(ref, p.seconds));
    if (task) throw_if_damaged(ref.file, task->wait(), p.seconds);
  }
  return check_input_here(ref, max_axes);
}

namespace {

// Describes the member of compound dataset `d` that ref.field names (nested members
// through inner compounds), or fails with what the dataset holds.
template <class Fail>
void select_field(hid_t d, const dataset_ref& ref, dataset_info& info, Fail fail) {
  datatype t(WEFT_H5_CHECK(H5Dget_type(d)));
  auto members = [](hid_t compound) {
    std::string names;
    const int n = H5Tget_nmembers(compound);
    for (int i = 0; i < n && i < 12; ++i) {
      char* name = H5Tget_member_name(compound, static_cast<unsigned>(i));
      if (name == nullptr) continue;
      names += (names.empty() ? "" : ", ") + std::string(name);
      H5free_memory(name);
    }
    return n > 12 ? names + ", ..." : names;
  };
  if (ref.field.empty()) {
    fail("is a compound dataset (a table) with fields " + members(t.native_handle()) +
         "; read one numeric field as " + ref.file + ":" + ref.path + "#FIELD");
  }
  if (H5Tget_class(t.native_handle()) != H5T_COMPOUND) {
    fail("has type " + info.type_text + ", not a compound; '#" + ref.field_text() +
         "' selects a field of a compound dataset");
  }
  std::string walked;
  for (const auto& name : ref.field) {
    if (H5Tget_class(t.native_handle()) != H5T_COMPOUND) {
      fail("field '" + walked + "' is " + type_text(t.native_handle()) +
           ", not a compound with fields");
    }
    const int index = H5Tget_member_index(t.native_handle(), name.c_str());
    if (index < 0) {
      H5Eclear2(H5E_DEFAULT);
      fail("has no field '" + (walked.empty() ? name : walked + "." + name) + "' (fields" +
           (walked.empty() ? "" : " of " + walked) + ": " + members(t.native_handle()) + ")");
    }
    t = datatype(
        WEFT_H5_CHECK(H5Tget_member_type(t.native_handle(), static_cast<unsigned>(index))));
    walked += (walked.empty() ? "" : ".") + name;
  }
  const hid_t f = t.native_handle();
  info.type_class = H5Tget_class(f);
  info.type_size = H5Tget_size(f);
  info.is_signed = info.type_class == H5T_FLOAT ||
                   (info.type_class == H5T_INTEGER && H5Tget_sign(f) == H5T_SGN_2);
  info.big_endian = (info.type_class == H5T_INTEGER || info.type_class == H5T_FLOAT) &&
                    H5Tget_order(f) == H5T_ORDER_BE;
  info.type_text = type_text(f) + ", field " + walked + " of a compound";
  if (!info.numeric()) {
    fail("field '" + walked + "' has type " + type_text(f) +
         "; weft reads integer and floating-point fields");
  }
}

dataset_info check_input_here(const dataset_ref& ref, int max_axes, bool every_attribute) {
  quiet_hdf5();
  const std::string name = ref.text();
  auto fail = [&](const std::string& what) { throw input_error(name + ": " + what); };
  std::error_code ec;
  const auto status = fs::status(ref.file, ec);
  if (!fs::exists(status)) fail("no such file");
  if (fs::is_directory(status)) fail("'" + ref.file + "' is a folder, not an HDF5 file");
  if (::access(ref.file.c_str(), R_OK) != 0) fail("the file is not readable");
  const htri_t is_hdf5 = H5Fis_hdf5(ref.file.c_str());
  if (is_hdf5 <= 0) {
    H5Eclear2(H5E_DEFAULT);
    fail("not an HDF5 file");
  }
  const hid_t fid = H5Fopen(ref.file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (fid < 0) fail("cannot open as HDF5 (truncated or damaged file?): " + innermost_error());
  const file f(fid);
  if (ref.path.empty()) fail("no dataset path given (use FILE:/dataset)");
  // Walk the path one component at a time: H5Lexists fails on a missing parent.
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = ref.path.find('/', pos + 1);
    const std::string prefix = ref.path.substr(0, pos);
    const htri_t exists = H5Lexists(f.native_handle(), prefix.c_str(), H5P_DEFAULT);
    if (exists <= 0) {
      H5Eclear2(H5E_DEFAULT);
      fail(prefix == ref.path ? "no such dataset"
                              : "no such dataset ('" + prefix + "' is missing)");
    }
    if (pos != std::string::npos) {
      H5O_info_t oi{};
      if (H5Oget_info_by_name2(f.native_handle(), prefix.c_str(), &oi, H5O_INFO_BASIC,
                               H5P_DEFAULT) < 0 ||
          oi.type != H5O_TYPE_GROUP) {
        H5Eclear2(H5E_DEFAULT);
        fail("no such dataset ('" + prefix + "' is not a group)");
      }
    }
  }
  H5O_info_t oi{};
  if (H5Oget_info_by_name2(f.native_handle(), ref.path.c_str(), &oi, H5O_INFO_BASIC, H5P_DEFAULT) <
      0) {
    fail("cannot read the object: " + innermost_error());
  }
  if (oi.type == H5O_TYPE_GROUP) fail("is a group, not a dataset");
  if (oi.type != H5O_TYPE_DATASET) fail("is not a dataset");
  const hid_t did = H5Dopen2(f.native_handle(), ref.path.c_str(), H5P_DEFAULT);
  if (did < 0) fail("cannot open the dataset: " + innermost_error());
  const dataset d(did);
  dataset_info info;
  try {
    info = describe(d.native_handle(), ref.path);
  } catch (const hdf5_error& e) {
    fail(std::string("cannot read the dataset's description: ") + e.what());
  }
  if (info.type_class == H5T_COMPOUND || !ref.field.empty()) {
    select_field(d.native_handle(), ref, info, fail);
  }
  if (!info.numeric()) {
    fail("has type " + info.type_text + "; weft reads integer and floating-point datasets");
  }
  if (const std::string missing = missing_filter(d.native_handle()); !missing.empty()) {
    fail(missing);
  }
  if (info.type_size > 8) fail("has " + info.type_text + " elements; the limit is 64 bits");
  if (info.size() == 0) fail("is empty (shape " + info.shape_text() + ")");
  if (static_cast<int>(info.shape.size()) > max_axes) {
    fail("has " + std::to_string(info.shape.size()) + " axes; weft reads 1 to " +
         std::to_string(max_axes));
  }
  if (info.chunk.empty()) {
    // Contiguous data must lie inside the file (a damaged header can claim any size).
    const haddr_t offset = H5Dget_offset(d.native_handle());
    H5Eclear2(H5E_DEFAULT);
    const auto file_size = fs::file_size(ref.file, ec);
    const auto bytes = static_cast<std::uintmax_t>(info.size()) * info.type_size;
    if (offset != HADDR_UNDEF && !ec && offset + bytes > file_size) {
      fail(
          fmt::format("is truncated: its {} bytes of data extend past the end of the file", bytes));
    }
  }
  if (every_attribute) (void)d.attributes();
  return info;
}

}  // namespace

long long mappable_offset(hid_t d) {
  const char* env = std::getenv("WEFT_DIRECT_READ");
  if (env != nullptr && std::string(env) == "off") return -1;
  const datatype file_type(H5Dget_type(d));
  const property_list dcpl(H5Dget_create_plist(d));
  const dataspace space(H5Dget_space(d));
  const haddr_t at = H5Dget_offset(d);
  H5Eclear2(H5E_DEFAULT);
  const bool ok = file_type.native_handle() >= 0 && dcpl.native_handle() >= 0 &&
                  space.native_handle() >= 0 && at != HADDR_UNDEF &&
                  H5Sget_simple_extent_npoints(space.native_handle()) > 0 &&
                  H5Pget_layout(dcpl.native_handle()) == H5D_CONTIGUOUS &&
                  H5Pget_nfilters(dcpl.native_handle()) == 0 &&
                  H5Tequal(file_type.native_handle(), H5T_NATIVE_DOUBLE) > 0 &&
                  // A dataset that starts between two doubles (small files pack their raw data
                  // after odd-sized metadata) is read through HDF5: loads must be aligned.
                  at % alignof(double) == 0;
  H5Eclear2(H5E_DEFAULT);
  return ok ? static_cast<long long>(at) : -1;
}

input open_input(const comm_ref& c, const dataset_ref& ref, int max_axes, bool fields,
                 input_reads reads) {
  if (!ref.field.empty() && !fields) {
    throw usage_error(ref.text() + ": this command reads whole elements, not fields; drop '#" +
                          ref.field_text() + "' (reduce and histogram read one field)",
                      true);
  }
  bool ok = true;
  std::string message;
  if (c.rank() == 0) {
    try {
      (void)check_input(ref, max_axes);
    } catch (const std::exception& e) {
      ok = false;
      message = e.what();
    }
  }
  // The message already names the file and dataset: no "rank 0:" prefix.
  const auto a = agree(c, ok, message);
  if (!a.ok) throw input_error(a.message, true);
  // Opened without MPI-IO first where the caller maps the file; again with it when a rank
  // cannot map the dataset, for HDF5's collective reads.
  bool without_mpi_io = reads == input_reads::mapped_where_possible && ref.field.empty();
  input in;
  for (;;) {
    try {
      in.d = dataset();
      in.f = file();
      in.f = without_mpi_io ? open_file_independently(c, ref.file) : open_file(c, ref.file);
      in.d = dataset(WEFT_H5_CHECK(H5Dopen2(in.f.native_handle(), ref.path.c_str(), H5P_DEFAULT)));
      in.info = describe(in.d.native_handle(), ref.path);
      if (!ref.field.empty()) {
        in.field = ref.field;
        select_field(in.d.native_handle(), ref, in.info,
                     [](const std::string& what) { throw std::runtime_error(what); });
        in.info.fills.clear();  // the element's fill value is a whole record
      }
      if (in.info.shape.empty()) in.info.shape = {1};  // a scalar reads as one element
    } catch (const input_error&) {
      throw;  // thrown on every rank (a file not every node sees)
    } catch (const std::exception& e) {
      ok = false;
      message = ref.text() + ": " + e.what();
    }
    const auto b = agree(c, ok, message);
    if (!b.ok) throw input_error(b.message, true);
    if (!without_mpi_io) break;
    if (c.allreduce(mappable_offset(in.d.native_handle()) >= 0 ? 1 : 0, op::min) == 1) break;
    without_mpi_io = false;
  }
  return in;
}

dataset create_dataset(hid_t where, const std::string& path, element_type type,
                       const extents& shape, const dataset_options& options) {
  return create_dataset(where, path, file_type(type), shape, options);
}

dataset create_dataset(hid_t where, const std::string& path, hid_t ftype, const extents& shape,
                       const dataset_options& options) {
  quiet_hdf5();
  if (shape.empty()) throw usage_error("a dataset needs at least one axis");
  if (options.compress < 0 || options.compress > 9) {
    throw usage_error("compression level " + std::to_string(options.compress) +
                      ": expected 0 (none) to 9");
  }
  if (!options.chunk.empty() && options.chunk.size() != shape.size()) {
    throw usage_error(fmt::format("the chunk shape has {} axes, the dataset {}",
                                  options.chunk.size(), shape.size()));
  }
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  const dataspace space(
      WEFT_H5_CHECK(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr)));
  const property_list lcpl(WEFT_H5_CHECK(H5Pcreate(H5P_LINK_CREATE)));
  WEFT_H5_CHECK(H5Pset_create_intermediate_group(lcpl.native_handle(), 1));
  const property_list dcpl(WEFT_H5_CHECK(H5Pcreate(H5P_DATASET_CREATE)));
  WEFT_H5_CHECK(H5Pset_fill_time(dcpl.native_handle(), H5D_FILL_TIME_NEVER));
  extents chunk = options.chunk;
  if (chunk.empty() && options.compress > 0) {
    // About 1 MiB per chunk: whole rows of the trailing axes, as many leading rows as fit.
    const std::size_t elem = H5Tget_size(ftype);
    index_t row = static_cast<index_t>(elem);
    for (std::size_t d = 1; d < shape.size(); ++d) row *= shape[d];
    chunk = shape;
    chunk[0] = std::max<index_t>(1, (index_t{1} << 20) / std::max<index_t>(row, 1));
    if (row > (index_t{1} << 20)) {
      for (std::size_t d = 1; d < shape.size(); ++d) chunk[d] = std::min<index_t>(shape[d], 256);
    }
  }
  if (!chunk.empty()) {
    std::vector<hsize_t> c(chunk.size());
    for (std::size_t d = 0; d < chunk.size(); ++d) {
      if (chunk[d] < 1) throw usage_error("chunk sizes must be positive");
      c[d] = static_cast<hsize_t>(std::min(chunk[d], std::max<index_t>(shape[d], 1)));
    }
    WEFT_H5_CHECK(H5Pset_chunk(dcpl.native_handle(), static_cast<int>(c.size()), c.data()));
    if (options.compress > 0) {
      WEFT_H5_CHECK(H5Pset_shuffle(dcpl.native_handle()));
      WEFT_H5_CHECK(H5Pset_deflate(dcpl.native_handle(), static_cast<unsigned>(options.compress)));
    }
  }
  return dataset(
      WEFT_H5_CHECK(H5Dcreate2(where, path.c_str(), ftype, space.native_handle(),
                               lcpl.native_handle(), dcpl.native_handle(), H5P_DEFAULT)));
}

}  // namespace weft::io
