#include "weft/base/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace weft {

unique_fd unique_fd::open(const std::filesystem::path& path, int flags, unsigned mode) noexcept {
  return unique_fd(::open(path.c_str(), flags | O_CLOEXEC, static_cast<mode_t>(mode)));
}

std::pair<unique_fd, unique_fd> unique_fd::pipe() noexcept {
  int fds[2] = {-1, -1};
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  return {unique_fd(fds[0]), unique_fd(fds[1])};
}

void unique_fd::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) ::close(fd_);
  fd_ = fd;
}

}  // namespace weft
