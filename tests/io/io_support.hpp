// A scratch folder shared by every rank of a test (named after rank 0's pid).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "test_support.hpp"

namespace weft::testing {

class scratch_dir {
 public:
  scratch_dir() {
    long pid = ::getpid();
    world().bcast(pid, 0);
    path_ = std::filesystem::temp_directory_path() / ("weft-io-" + std::to_string(pid));
    if (world().rank() == 0) std::filesystem::create_directories(path_);
    world().barrier();
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir() {
    world().barrier();
    std::error_code ec;
    if (world().rank() == 0) std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace weft::testing
