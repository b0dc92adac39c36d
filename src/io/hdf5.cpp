#include "weft/io/hdf5.hpp"

#include <exception>
#include <mutex>
#include <vector>

#include "weft/core/log.hpp"

namespace weft::io {

std::string library_version() {
  unsigned major = 0, minor = 0, release = 0;
  WEFT_H5_CHECK(H5get_libversion(&major, &minor, &release));
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

bool library_is_parallel() noexcept {
#ifdef H5_HAVE_PARALLEL
  return true;
#else
  return false;
#endif
}

void quiet_hdf5() noexcept {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

namespace {
herr_t collect(unsigned /*n*/, const H5E_error2_t* e, void* data) {
  auto* lines = static_cast<std::vector<std::string>*>(data);
  if (e->desc && *e->desc) {
    std::string line = e->desc;
    for (auto& c : line) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    bool seen = false;
    for (const auto& l : *lines) seen = seen || l == line;
    if (!seen) lines->push_back(std::move(line));
  }
  return 0;
}
}  // namespace

std::string take_error_stack() {
  std::vector<std::string> lines;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &lines);
  H5Eclear2(H5E_DEFAULT);
  std::string text;
  for (const auto& l : lines) text += (text.empty() ? "" : "; ") + l;
  return text;
}

namespace detail {
herr_t close_file(hid_t id) noexcept {
  if (std::uncaught_exceptions() > 0) {
    const hid_t fapl = H5Fget_access_plist(id);
    const bool parallel = fapl >= 0 && H5Pget_driver(fapl) == H5FD_MPIO;
    if (fapl >= 0) H5Pclose(fapl);
    if (parallel) return 0;
  }
  return H5Fclose(id);
}

void log_close_failure() noexcept {
  try {
    log::warn("weft: closing an HDF5 object failed: {}", take_error_stack());
  } catch (...) {  // logging is best effort in a destructor
  }
}
}  // namespace detail

}  // namespace weft::io
