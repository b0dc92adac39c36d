#include "weft/io/file.hpp"

#include <fcntl.h>
#include <omp.h>
#include <unistd.h>

#include <fmt/format.h>

#include "weft/base/unique_fd.hpp"
#include "weft/core/blocking.hpp"
#include "weft/core/error.hpp"
#include "weft/core/provenance.hpp"

namespace weft::io {

namespace fs = std::filesystem;

dataset_ref parse_dataset_ref(const std::string& text, const std::string& option,
                              bool path_required) {
  const std::string where = option.empty() ? "'" + text + "'" : option + " '" + text + "'";
  const auto pos = text.rfind(":/");
  if (pos == std::string::npos) {
    if (!path_required && !text.empty()) return {text, ""};
    throw usage_error(where + ": expected FILE:/dataset, e.g. data.h5:/values");
  }
  dataset_ref ref{text.substr(0, pos), text.substr(pos + 1), {}};
  if (const auto hash = ref.path.find('#'); hash != std::string::npos) {
    const std::string field = ref.path.substr(hash + 1);
    ref.path.resize(hash);
    std::size_t from = 0;
    while (true) {
      const auto dot = field.find('.', from);
      ref.field.push_back(field.substr(from, dot - from));
      if (ref.field.back().empty()) {
        throw usage_error(where + ": the field name after '#' is empty (e.g. " + ref.file +
                          ":/table#temperature, or #outer.inner for a nested field)");
      }
      if (dot == std::string::npos) break;
      from = dot + 1;
    }
  }
  if (ref.file.empty()) throw usage_error(where + ": the file name before ':' is empty");
  if (ref.path == "/") {
    throw usage_error(where + ": '/' is the root group; name a dataset, e.g. " + ref.file +
                      ":/values");
  }
  if (ref.path.find("//") != std::string::npos || ref.path.back() == '/') {
    throw usage_error(where + ": the dataset path '" + ref.path + "' has an empty component");
  }
  return ref;
}

std::string dataset_ref::field_text() const {
  std::string t;
  for (const auto& f : field) t += (t.empty() ? "" : ".") + f;
  return t;
}

namespace {
property_list parallel_access(const comm_ref& c) {
  quiet_hdf5();
  property_list fapl(WEFT_H5_CHECK(H5Pcreate(H5P_FILE_ACCESS)));
  WEFT_H5_CHECK(H5Pset_fapl_mpio(fapl.native_handle(), c.native_handle(), MPI_INFO_NULL));
  // Rank 0 reads metadata and broadcasts it, instead of every rank reading it.
  WEFT_H5_CHECK(H5Pset_all_coll_metadata_ops(fapl.native_handle(), true));
  WEFT_H5_CHECK(H5Pset_coll_metadata_write(fapl.native_handle(), true));
  return fapl;
}
}  // namespace

namespace {
std::string host_name() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host;
}
}  // namespace

void require_same_file(const comm_ref& c, const fs::path& path) {
  if (c.size() == 1) return;
  std::error_code ec;
  const auto size_here = [&]() -> long long {
    const auto n = fs::file_size(path, ec);
    return ec ? -1 : static_cast<long long>(n);
  };
  long long size0 = c.rank() == 0 ? size_here() : 0;
  c.bcast(size0, 0);
  if (size0 < 0) return;  // rank 0 cannot read it either: the open reports why
  const long long mine = size_here();
  const bool ok = mine == size0;
  const std::string message =
      ok ? std::string()
         : fmt::format(
               "{}: rank {} on {} {}; inputs must be on a file system every node "
               "shares (not a node's own /tmp)",
               path.string(), c.rank(), host_name(),
               mine < 0 ? "cannot see this file"
                        : "sees a different file of that name (size " + std::to_string(mine) +
                              ", rank 0: " + std::to_string(size0) + ")");
  const auto a = agree(c, ok, message);
  if (!a.ok) throw input_error(a.message, true);
}

void require_shared_folder(const comm_ref& c, const fs::path& folder) {
  if (c.size() == 1) return;
  const fs::path dir = folder.empty() ? fs::path(".") : folder;
  std::string marker;
  if (c.rank() == 0) {
    const fs::path m = dir / fmt::format(".weft-shared.{}.{}", ::getpid(), MPI_Wtime());
    if (unique_fd::open(m, O_CREAT | O_EXCL | O_WRONLY, 0600)) marker = m.string();
  }
  c.bcast(marker, 0);
  if (marker.empty()) return;  // rank 0 cannot write there: creating the file says why
  std::error_code ec;
  const bool ok = fs::exists(marker, ec);
  const std::string message =
      ok ? std::string()
         : fmt::format(
               "output folder '{}' is not shared: rank {} on {} cannot see a file rank 0 "
               "created there; write to a file system every node shares (not a node's "
               "own /tmp)",
               dir.string(), c.rank(), host_name());
  const auto a = agree(c, ok, message);
  if (c.rank() == 0) fs::remove(marker, ec);
  if (!a.ok) throw usage_error(a.message, true);
}

file open_file(const comm_ref& c, const fs::path& path, bool writable) {
  require_same_file(c, path);
  const auto fapl = parallel_access(c);
  const weft::detail::blocking_call mark("H5Fopen (collective)", __FILE__, __LINE__);
  return file(detail::opened_in_parallel(WEFT_H5_CHECK(
      H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.native_handle()))));
}

file open_file_independently(const comm_ref& c, const fs::path& path) {
  require_same_file(c, path);
  return open_file_serial(path);
}

file open_file_serial(const fs::path& path) {
  quiet_hdf5();
  return file(WEFT_H5_CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)));
}

bool is_hdf5(const fs::path& path) {
  quiet_hdf5();
  const htri_t rc = H5Fis_hdf5(path.c_str());
  if (rc < 0) (void)take_error_stack();
  return rc > 0;
}

file create_file(const comm_ref& c, const fs::path& path) {
  require_shared_folder(c, path.parent_path());
  const auto fapl = parallel_access(c);
  const weft::detail::blocking_call mark("H5Fcreate (collective)", __FILE__, __LINE__);
  return file(detail::opened_in_parallel(
      WEFT_H5_CHECK(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.native_handle()))));
}

output_file::output_file(const comm_ref& c, fs::path target, bool overwrite, const json& parameters)
    : comm_(c.native_handle()), target_(std::move(target)) {
  // Rank 0 stages the file and tells every rank, in one broadcast, the temporary name
  // ('T' + name), that the target exists ('X'), or why it could not ('E' + message).
  std::string reply;
  if (c.rank() == 0) {
    try {
      staged_.emplace(target_, overwrite);
      reply = "T" + staged_->temporary().string();
    } catch (const output_exists&) {
      reply = "X";
    } catch (const std::exception& e) {
      reply = std::string("E") + e.what();
    }
  }
  c.bcast(reply, 0);
  if (reply.front() == 'X') throw output_exists(target_, true);
  if (reply.front() == 'E') {
    const std::string why = reply.substr(1);
    throw usage_error(c.size() > 1 ? "rank 0: " + why : why, true);
  }
  temporary_ = reply.substr(1);
  bool ok = true;
  std::string message;
  try {
    file_ = create_file(c, temporary_);
  } catch (const usage_error&) {
    throw;  // thrown on every rank (a folder not every node sees)
  } catch (const std::exception& e) {
    ok = false;
    message = "cannot create '" + temporary_.string() + "': " + e.what();
  }
  agree_or_throw(c, ok, message);
  detail::write_provenance(c, file_.native_handle(), parameters);
}

output_file::~output_file() = default;

void output_file::commit() {
  const comm_ref c(comm_);
  file_.close();
  bool ok = true;
  std::string message;
  if (c.rank() == 0) {
    try {
      staged_->commit();
    } catch (const std::exception& e) {
      ok = false;
      message = e.what();
    }
  }
  agree_or_throw(c, ok, message);
}

namespace {

datatype utf8_string_type() {
  datatype t(WEFT_H5_CHECK(H5Tcopy(H5T_C_S1)));
  WEFT_H5_CHECK(H5Tset_size(t.native_handle(), H5T_VARIABLE));
  WEFT_H5_CHECK(H5Tset_cset(t.native_handle(), H5T_CSET_UTF8));
  return t;
}

attribute fresh_attribute(hid_t object, const std::string& name, hid_t type) {
  if (WEFT_H5_CHECK(H5Aexists(object, name.c_str())) > 0) {
    WEFT_H5_CHECK(H5Adelete(object, name.c_str()));
  }
  const dataspace scalar(WEFT_H5_CHECK(H5Screate(H5S_SCALAR)));
  return attribute(WEFT_H5_CHECK(
      H5Acreate2(object, name.c_str(), type, scalar.native_handle(), H5P_DEFAULT, H5P_DEFAULT)));
}

}  // namespace

namespace detail {
void write_attribute(hid_t object, const std::string& name, const std::string& value) {
  const auto type = utf8_string_type();
  const auto a = fresh_attribute(object, name, type.native_handle());
  const char* text = value.c_str();
  WEFT_H5_CHECK(H5Awrite(a.native_handle(), type.native_handle(), &text));
}
}  // namespace detail

namespace detail {
void write_attribute(hid_t object, const std::string& name, double value) {
  const auto a = fresh_attribute(object, name, H5T_IEEE_F64LE);
  WEFT_H5_CHECK(H5Awrite(a.native_handle(), H5T_NATIVE_DOUBLE, &value));
}
}  // namespace detail

namespace detail {
void write_attribute(hid_t object, const std::string& name, long long value) {
  const auto a = fresh_attribute(object, name, H5T_STD_I64LE);
  WEFT_H5_CHECK(H5Awrite(a.native_handle(), H5T_NATIVE_LLONG, &value));
}
}  // namespace detail

namespace detail {
void write_provenance(const comm_ref& c, hid_t object, const json& parameters) {
  std::string text;
  if (c.rank() == 0) {
    json p = provenance();
    p["ranks"] = c.size();
    p["threads"] = omp_get_max_threads();
    p["parameters"] = parameters.dump();
    text = p.dump();
  }
  c.bcast(text, 0);
  const json p = json::parse(text);
  for (const auto& [key, value] : p.items()) {
    const std::string name = key == "version" ? "softwareVersion" : key;
    if (value.is_string()) {
      write_attribute(object, name, value.get<std::string>());
    } else if (value.is_number_integer()) {
      write_attribute(object, name, value.get<long long>());
    } else if (value.is_number()) {
      write_attribute(object, name, value.get<double>());
    } else if (value.is_null()) {
      write_attribute(object, name, std::string());
    } else {
      write_attribute(object, name, value.dump());
    }
  }
}
}  // namespace detail

namespace {

std::string attribute_text(hid_t a) {
  const datatype type(WEFT_H5_CHECK(H5Aget_type(a)));
  const dataspace space(WEFT_H5_CHECK(H5Aget_space(a)));
  const hssize_t n = WEFT_H5_CHECK(H5Sget_simple_extent_npoints(space.native_handle()));
  const H5T_class_t cls = H5Tget_class(type.native_handle());
  if (cls == H5T_STRING) {
    if (n != 1) return fmt::format("[{} strings]", n);
    if (H5Tis_variable_str(type.native_handle()) > 0) {
      const auto mem = utf8_string_type();
      char* value = nullptr;
      WEFT_H5_CHECK(H5Aread(a, mem.native_handle(), &value));
      std::string s = value ? value : "";
      H5free_memory(value);
      return s;
    }
    const std::size_t size = H5Tget_size(type.native_handle());
    std::string s(size, '\0');
    const datatype mem(WEFT_H5_CHECK(H5Tcopy(type.native_handle())));
    WEFT_H5_CHECK(H5Aread(a, mem.native_handle(), s.data()));
    if (const auto z = s.find('\0'); z != std::string::npos) s.resize(z);
    return s;
  }
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) return cls == H5T_COMPOUND ? "(compound)" : "(other)";
  if (n > 16) return fmt::format("[{} values]", n);
  std::string out;
  if (cls == H5T_INTEGER) {
    std::vector<long long> v(static_cast<std::size_t>(n));
    WEFT_H5_CHECK(H5Aread(a, H5T_NATIVE_LLONG, v.data()));
    for (std::size_t i = 0; i < v.size(); ++i) out += fmt::format("{}{}", i ? ", " : "", v[i]);
  } else {
    std::vector<double> v(static_cast<std::size_t>(n));
    WEFT_H5_CHECK(H5Aread(a, H5T_NATIVE_DOUBLE, v.data()));
    for (std::size_t i = 0; i < v.size(); ++i) out += fmt::format("{}{}", i ? ", " : "", v[i]);
  }
  return n == 1 ? out : "[" + out + "]";
}

herr_t collect_attribute(hid_t object, const char* name, const H5A_info_t* /*info*/, void* data) {
  auto* out = static_cast<std::vector<std::pair<std::string, std::string>>*>(data);
  try {
    const attribute a(H5Aopen(object, name, H5P_DEFAULT));
    out->emplace_back(name, a ? attribute_text(a.native_handle()) : "(unreadable)");
  } catch (const std::exception&) {
    out->emplace_back(name, "(unreadable)");
  }
  return 0;
}

}  // namespace

namespace detail {
std::vector<std::pair<std::string, std::string>> list_attributes(hid_t object) {
  std::vector<std::pair<std::string, std::string>> out;
  hsize_t idx = 0;
  WEFT_H5_CHECK(H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attribute, &out));
  return out;
}
}  // namespace detail

namespace detail {
std::optional<std::string> read_string_attribute(hid_t object, const std::string& name) {
  if (WEFT_H5_CHECK(H5Aexists(object, name.c_str())) <= 0) return std::nullopt;
  const attribute a(WEFT_H5_CHECK(H5Aopen(object, name.c_str(), H5P_DEFAULT)));
  const datatype type(WEFT_H5_CHECK(H5Aget_type(a.native_handle())));
  if (H5Tget_class(type.native_handle()) != H5T_STRING) return std::nullopt;
  return attribute_text(a.native_handle());
}
}  // namespace detail

namespace detail {
std::optional<double> read_number_attribute(hid_t object, const std::string& name) {
  if (WEFT_H5_CHECK(H5Aexists(object, name.c_str())) <= 0) return std::nullopt;
  const attribute a(WEFT_H5_CHECK(H5Aopen(object, name.c_str(), H5P_DEFAULT)));
  const datatype type(WEFT_H5_CHECK(H5Aget_type(a.native_handle())));
  const H5T_class_t k = H5Tget_class(type.native_handle());
  const dataspace space(WEFT_H5_CHECK(H5Aget_space(a.native_handle())));
  if ((k != H5T_INTEGER && k != H5T_FLOAT) ||
      WEFT_H5_CHECK(H5Sget_simple_extent_npoints(space.native_handle())) != 1) {
    return std::nullopt;
  }
  double value = 0;
  WEFT_H5_CHECK(H5Aread(a.native_handle(), H5T_NATIVE_DOUBLE, &value));
  return value;
}
}  // namespace detail

}  // namespace weft::io
