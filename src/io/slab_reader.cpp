#include "weft/io/slab_reader.hpp"

#include <fcntl.h>
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "weft/core/error.hpp"

namespace weft::io {

slab_reader::~slab_reader() {
  if (fd_ >= 0) ::close(fd_);
}

bool slab_reader::use_direct(const comm_ref& c) {
  int ok = 0;
  const char* env = std::getenv("WEFT_DIRECT_READ");
  const bool allowed = env == nullptr || std::string(env) != "off";
  std::string name;
  if (allowed && field_.empty() && !shape_.empty()) {
    const datatype file_type(H5Dget_type(dataset_));
    const property_list dcpl(H5Dget_create_plist(dataset_));
    const haddr_t at = H5Dget_offset(dataset_);
    index_t elements = 1;
    for (const auto e : shape_) elements *= e;
    if (file_type.native_handle() >= 0 && dcpl.native_handle() >= 0 && at != HADDR_UNDEF &&
        H5Pget_layout(dcpl.native_handle()) == H5D_CONTIGUOUS &&
        H5Pget_nfilters(dcpl.native_handle()) == 0 &&
        H5Tequal(file_type.native_handle(), H5T_NATIVE_DOUBLE) > 0) {
      const ssize_t length = H5Fget_name(dataset_, nullptr, 0);
      if (length > 0) {
        name.resize(static_cast<std::size_t>(length) + 1);
        H5Fget_name(dataset_, name.data(), name.size());
        name.resize(static_cast<std::size_t>(length));
        const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        const auto end =
            static_cast<long long>(at) + elements * static_cast<long long>(sizeof(double));
        if (fd >= 0 && ::fstat(fd, &st) == 0 && st.st_size >= end) {
          fd_ = fd;
          offset_ = static_cast<long long>(at);
          ok = 1;
        } else if (fd >= 0) {
          ::close(fd);
        }
      }
    }
    H5Eclear2(H5E_DEFAULT);
  }
  const int all = c.allreduce(ok, op::min);
  if (all == 0 && fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  return all != 0;
}

double slab_reader::io_seconds() const noexcept {
  return io_seconds_ + direct_seconds_.load() / omp_get_max_threads();
}

void slab_reader::read_part(index_t begin, index_t count) {
  if (fd_ < 0) return;
  const double t0 = now();
  slab& s = current_;
  auto* out = reinterpret_cast<char*>(s.values.data() + begin);
  auto left = static_cast<std::size_t>(count) * sizeof(double);
  auto at =
      static_cast<off_t>(offset_ + (s.first_index + begin) * static_cast<index_t>(sizeof(double)));
  while (left > 0) {
    const ssize_t got = ::pread(fd_, out, left, at);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      throw error(got == 0 ? "the input file ended before its dataset did (was it truncated "
                             "while being read?)"
                           : std::string("reading the input file failed: ") + std::strerror(errno),
                  exit_code::bad_input);
    }
    out += got;
    left -= static_cast<std::size_t>(got);
    at += got;
  }
  direct_seconds_ += now() - t0;
  mask(s.values.data() + begin, count);
}

}  // namespace weft::io
