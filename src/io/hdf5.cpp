#include "weft/io/hdf5.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <exception>
#include <mutex>
#include <set>
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
  std::call_once(once, [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    // Debian 12's LZF plugin (hdf5-plugin-lzf) calls lzf_decompress without naming
    // liblzf as a dependency, so HDF5 fails to load it ("undefined symbol"). Loading
    // liblzf first, into the global namespace, lets the plugin load and h5py's LZF
    // datasets read. Nothing happens where liblzf is not installed.
    [[maybe_unused]] void* lzf = ::dlopen("liblzf.so.1", RTLD_NOW | RTLD_GLOBAL);
    // Debian builds most filter plugins (hdf5-filter-plugin: LZ4, bzip2, bitshuffle;
    // hdf5-filter-plugin-blosc-serial) against the serial HDF5 only, into
    // .../hdf5/serial/plugins; they decode for the OpenMPI HDF5 too (read at 1 and 2
    // ranks in the tests). Unless the user chose HDF5_PLUGIN_PATH, that folder is
    // searched after the library's own (.../hdf5/openmpi/plugins).
    if (std::getenv("HDF5_PLUGIN_PATH") == nullptr) {
      unsigned n = 0;
      if (H5PLsize(&n) >= 0 && n > 0) {
        char first[4096] = {};
        if (H5PLget(0, first, sizeof first) > 0) {
          const std::string own = first;
          const std::string tail = "/openmpi/plugins";
          if (own.size() > tail.size() && own.ends_with(tail)) {
            const std::string serial = own.substr(0, own.size() - tail.size()) + "/serial/plugins";
            if (::access(serial.c_str(), R_OK | X_OK) == 0) (void)H5PLappend(serial.c_str());
          }
        }
      }
      H5Eclear2(H5E_DEFAULT);
    }
  });
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
namespace {
std::mutex parallel_lock;
std::set<hid_t>& parallel_files() {
  static std::set<hid_t> ids;
  return ids;
}
}  // namespace

hid_t opened_in_parallel(hid_t id) {
  const std::lock_guard<std::mutex> hold(parallel_lock);
  parallel_files().insert(id);
  return id;
}

bool is_parallel_file(hid_t id) {
  const std::lock_guard<std::mutex> hold(parallel_lock);
  return parallel_files().count(id) > 0;
}

herr_t close_file(hid_t id) noexcept {
  bool parallel = false;
  {
    const std::lock_guard<std::mutex> hold(parallel_lock);
    parallel = parallel_files().erase(id) > 0;
  }
  if (parallel && std::uncaught_exceptions() > 0) return 0;
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
