// The typed HDF5 objects' members (weft/io/hdf5.hpp), over the checked free functions of
// file.cpp and dataset.cpp. Instantiated below for every object type weft has.
#include <exception>

#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"
#include "weft/io/hdf5.hpp"

namespace weft::io {

namespace {

// Each prefix of `path` must be an existing link before the next is asked about:
// H5Lexists on "a/b" fails (with an error stack) when "a" is missing.
bool links_exist(hid_t where, const std::string& path) {
  std::size_t pos = path.starts_with('/') ? 1 : 0;
  while (pos < path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    if (end > pos) {
      const std::string prefix = path.substr(0, end);
      const htri_t exists = H5Lexists(where, prefix.c_str(), H5P_DEFAULT);
      if (exists <= 0) {
        (void)take_error_stack();
        return false;
      }
    }
    pos = end + 1;
  }
  return true;
}

object_kind kind_from(H5O_type_t t) {
  switch (t) {
    case H5O_TYPE_GROUP:
      return object_kind::group;
    case H5O_TYPE_DATASET:
      return object_kind::dataset;
    default:
      return object_kind::other;
  }
}

object_kind kind_at(hid_t where, const std::string& path) {
  quiet_hdf5();
  if (path.empty() || path == "." || path == "/") {
    H5O_info_t info{};
    WEFT_H5_CHECK(H5Oget_info2(where, &info, H5O_INFO_BASIC));
    return path == "/" ? object_kind::group : kind_from(info.type);
  }
  if (!links_exist(where, path)) return object_kind::missing;
  // The link exists; a dangling soft link or an external link to a missing file or object
  // has no object behind it.
  const htri_t target = H5Oexists_by_name(where, path.c_str(), H5P_DEFAULT);
  if (target <= 0) {
    (void)take_error_stack();
    return object_kind::missing;
  }
  H5O_info_t info{};
  if (H5Oget_info_by_name2(where, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    (void)take_error_stack();
    return object_kind::missing;
  }
  return kind_from(info.type);
}

const char* kind_name(object_kind k) {
  switch (k) {
    case object_kind::group:
      return "a group";
    case object_kind::dataset:
      return "a dataset";
    case object_kind::other:
      return "a named datatype";
    case object_kind::missing:
      break;
  }
  return "missing";
}

struct visit_state {
  const std::function<void(const std::string&, object_kind)>* fn;
  std::exception_ptr failure;
};

herr_t visit_one(hid_t /*root*/, const char* name, const H5O_info_t* info, void* data) {
  auto* state = static_cast<visit_state*>(data);
  if (std::string(name) == ".") return 0;
  try {
    (*state->fn)(name, kind_from(info->type));
    return 0;
  } catch (...) {
    // An exception must not cross HDF5's C frames: stop the walk, rethrow after it.
    state->failure = std::current_exception();
    return -1;
  }
}

}  // namespace

template <class Self>
void attribute_access<Self>::write_attribute(const std::string& name,
                                             const std::string& value) const {
  io::detail::write_attribute(static_cast<const Self&>(*this).native_handle(), name, value);
}
template <class Self>
void attribute_access<Self>::write_attribute(const std::string& name, double value) const {
  io::detail::write_attribute(static_cast<const Self&>(*this).native_handle(), name, value);
}
template <class Self>
void attribute_access<Self>::write_attribute(const std::string& name, long long value) const {
  io::detail::write_attribute(static_cast<const Self&>(*this).native_handle(), name, value);
}
template <class Self>
std::optional<std::string> attribute_access<Self>::read_string_attribute(
    const std::string& name) const {
  return io::detail::read_string_attribute(static_cast<const Self&>(*this).native_handle(), name);
}
template <class Self>
std::optional<double> attribute_access<Self>::read_number_attribute(const std::string& name) const {
  return io::detail::read_number_attribute(static_cast<const Self&>(*this).native_handle(), name);
}
template <class Self>
std::vector<std::pair<std::string, std::string>> attribute_access<Self>::attributes() const {
  return io::detail::list_attributes(static_cast<const Self&>(*this).native_handle());
}

template <class Self>
object_kind location_access<Self>::kind_of(const std::string& path) const {
  return kind_at(static_cast<const Self&>(*this).native_handle(), path);
}

namespace {

// Opens the object at `path` below `where` when it is of kind `want`; otherwise one
// input_error naming the path and what it is.
hid_t open_kind(hid_t where, const std::string& path, object_kind want, const char* what) {
  const object_kind k = kind_at(where, path);
  if (k != want) {
    throw input_error(k == object_kind::missing
                          ? "'" + path + "': no such " + what
                          : "'" + path + "' is " + kind_name(k) + ", not a " + what);
  }
  return want == object_kind::dataset ? WEFT_H5_CHECK(H5Dopen2(where, path.c_str(), H5P_DEFAULT))
                                      : WEFT_H5_CHECK(H5Gopen2(where, path.c_str(), H5P_DEFAULT));
}

}  // namespace

template <class Self>
dataset location_access<Self>::open_dataset(const std::string& path) const {
  return dataset(open_kind(static_cast<const Self&>(*this).native_handle(), path,
                           object_kind::dataset, "dataset"));
}

template <class Self>
group location_access<Self>::open_group(const std::string& path) const {
  return group(open_kind(static_cast<const Self&>(*this).native_handle(), path, object_kind::group,
                         "group"));
}

template <class Self>
dataset location_access<Self>::create_dataset(const std::string& path, element_type type,
                                              const extents& shape) const {
  return io::create_dataset(static_cast<const Self&>(*this).native_handle(), path, type, shape);
}

template <class Self>
dataset location_access<Self>::create_dataset(const std::string& path, element_type type,
                                              const extents& shape,
                                              const dataset_options& options) const {
  return io::create_dataset(static_cast<const Self&>(*this).native_handle(), path, type, shape,
                            options);
}

template <class Self>
void location_access<Self>::visit(
    const std::function<void(const std::string&, object_kind)>& fn) const {
  quiet_hdf5();
  visit_state state{&fn, nullptr};
  const herr_t rc = H5Ovisit2(static_cast<const Self&>(*this).native_handle(), H5_INDEX_NAME,
                              H5_ITER_INC, visit_one, &state, H5O_INFO_BASIC);
  if (state.failure) std::rethrow_exception(state.failure);
  WEFT_H5_CHECK(rc);
}

dataset_info dataset::info(const std::string& path) const {
  return describe(native_handle(), path);
}

template class attribute_access<file>;
template class attribute_access<group>;
template class attribute_access<dataset>;
template class attribute_access<output_file>;
template class location_access<file>;
template class location_access<group>;
template class location_access<output_file>;

}  // namespace weft::io
