#include "weft/io/slab_reader.hpp"

#include <fcntl.h>
#include <omp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "weft/base/crash_handler.hpp"
#include "weft/base/unique_fd.hpp"
#include "weft/core/error.hpp"

namespace weft::io {

namespace {

const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

// The whole pages under [begin, begin + bytes).
std::pair<char*, std::size_t> pages_of(double* begin, std::size_t bytes) {
  auto* first = reinterpret_cast<char*>(begin);
  const std::size_t before = reinterpret_cast<std::uintptr_t>(first) % page;
  const std::size_t span = before + bytes;
  return {first - before, (span + page - 1) / page * page};
}

}  // namespace

slab_reader::~slab_reader() {
  if (map_ != nullptr) {
    unguard_mapping(guard_);
    ::munmap(map_, map_bytes_);
  }
}

bool slab_reader::use_direct(const comm_ref& c) {
  int ok = 0;
  const long long at = field_.empty() && !shape_.empty() ? mappable_offset(dataset_) : -1;
  const ssize_t length = at >= 0 ? H5Fget_name(dataset_, nullptr, 0) : -1;
  if (length > 0) {
    index_t elements = 1;
    for (const auto e : shape_) elements *= e;
    std::string name(static_cast<std::size_t>(length) + 1, '\0');
    H5Fget_name(dataset_, name.data(), name.size());
    name.resize(static_cast<std::size_t>(length));
    const unique_fd fd = unique_fd::open(name, O_RDONLY);
    struct stat st {};
    const auto offset = static_cast<std::size_t>(at);
    const std::size_t end = offset + static_cast<std::size_t>(elements) * sizeof(double);
    if (fd && ::fstat(fd.get(), &st) == 0 && static_cast<std::size_t>(st.st_size) >= end) {
      // Private and writable, so that masking a missing value copies only its page.
      const std::size_t from = offset / page * page;
      void* m = ::mmap(nullptr, end - from, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get(),
                       static_cast<off_t>(from));
      if (m != MAP_FAILED) {
        map_ = static_cast<char*>(m);
        map_bytes_ = end - from;
        mapped_ = reinterpret_cast<double*>(map_ + (offset - from));
        file_ = name;
      }
    }
    // The mapping keeps the file when the descriptor closes.
    ok = map_ != nullptr ? 1 : 0;
  }
  H5Eclear2(H5E_DEFAULT);
  const int all = c.allreduce(ok, op::min);
  if (all == 0 && map_ != nullptr) {
    ::munmap(map_, map_bytes_);
    map_ = nullptr;
    mapped_ = nullptr;
  }
  if (map_ != nullptr) {
    const std::string message = "the input file " + file_ +
                                " shrank while it was being read (did another program "
                                "truncate or rewrite it?); run again once it is complete";
    guard_ = guard_mapping(map_, map_bytes_, one_line(message).c_str(), exit_code::bad_input);
  }
  return all != 0;
}

double slab_reader::io_seconds() const noexcept {
  return io_seconds_ + direct_seconds_.load() / omp_get_max_threads();
}

bool slab_reader::place(slab& s) {
  if (!next_block()) return false;
  s.part = std::span<double>(mapped_ + first_index(), static_cast<std::size_t>(block_.size()));
  mode_ = io_mode::independent;
  next_row_ += slab_rows_;
  // Starts reading from the disk what the page cache lacks, while the team scans the
  // slab before.
  advise(s.part, MADV_WILLNEED);
  return true;
}

void slab_reader::advise(std::span<double> part, int advice) const noexcept {
  if (part.empty()) return;
  const auto [from, bytes] = pages_of(part.data(), part.size_bytes());
  (void)::madvise(from, bytes, advice);
}

void slab_reader::release(slab& s) noexcept {
  if (!direct()) return;
  advise(s.part, MADV_DONTNEED);
  s.part = {};
}

void slab_reader::read_part(index_t begin, index_t count) {
  if (!direct() || count <= 0) return;
  const double t0 = now();
  double* part = current_.part.data() + begin;
  const auto [from, bytes] = pages_of(part, static_cast<std::size_t>(count) * sizeof(double));
  // The pages are mapped now, while errors can still be reported, rather than by the scan's
  // first touch, where a file that shrank raises SIGBUS.
  if (populate_.load(std::memory_order_relaxed) &&
      ::madvise(from, bytes, MADV_POPULATE_READ) != 0) {
    if (errno == EINVAL) {
      populate_ = false;  // a kernel older than 5.14: the scan maps the pages
    } else if (errno != EINTR && errno != EAGAIN) {
      throw error(
          errno == EFAULT
              ? one_line("the input file " + file_ +
                         " ended before its dataset did (did another program truncate it?)")
              : one_line("reading the input file " + file_ + " failed: " + std::strerror(errno)),
          exit_code::bad_input);
    }
  }
  direct_seconds_ += now() - t0;
  mask(part, count);
}

}  // namespace weft::io
