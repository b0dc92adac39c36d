// unique_fd: a POSIX file descriptor owned by one object and closed when it goes, as
// std::unique_ptr owns memory. Moves, never copies. Free of MPI.
#pragma once

#include <filesystem>
#include <utility>

namespace weft {

class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~unique_fd() { reset(); }

  // open(2) with O_CLOEXEC added; an invalid unique_fd (errno set) when it fails.
  [[nodiscard]] static unique_fd open(const std::filesystem::path& path, int flags,
                                      unsigned mode = 0) noexcept;
  // pipe2(2) with O_CLOEXEC: {read end, write end}; both invalid (errno set) on failure.
  [[nodiscard]] static std::pair<unique_fd, unique_fd> pipe() noexcept;

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  // Gives the descriptor up without closing it.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  // Closes the descriptor held (errors ignored, as after a failed write nothing is
  // left to do with it) and holds fd instead.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace weft
