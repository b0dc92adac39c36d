// Helpers shared by weft's tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "weft/core/comm.hpp"
#include "weft/core/environment.hpp"

namespace weft::testing {

inline comm_ref world() {
  return environment::world();
}

// True when the condition held on every rank: use before a collective inside a test so
// a failed assertion on one rank cannot leave the others waiting.
inline bool all_ranks(bool ok) {
  return world().allreduce(ok ? 1 : 0, op::min) == 1;
}

// A fresh scratch folder shared by every rank of a test (named after rank 0's pid),
// removed at the end. Collective: construct and destroy it on every rank. It lies in
// $WEFT_TEST_SCRATCH when set (on several nodes /tmp is each node's own, so the tests
// registered for the cluster point it at the build folder), else in the temporary folder;
// rank 0 chooses and every rank takes its path.
class scratch_dir {
 public:
  explicit scratch_dir(const std::string& prefix = "weft-test") {
    std::string path;
    if (world().rank() == 0) {
      const char* base = std::getenv("WEFT_TEST_SCRATCH");
      const std::filesystem::path parent =
          base && *base ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
      path = (parent / (prefix + "-" + std::to_string(::getpid()))).string();
      std::filesystem::remove_all(path);
      std::filesystem::create_directories(path);
    }
    world().bcast(path, 0);
    path_ = path;
    world().barrier();
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  scratch_dir(scratch_dir&&) = delete;
  scratch_dir& operator=(scratch_dir&&) = delete;
  ~scratch_dir() {
    world().barrier();
    std::error_code ec;
    if (world().rank() == 0) std::filesystem::remove_all(path_, ec);
  }
  // The path of `name` inside the folder.
  [[nodiscard]] std::string operator/(const std::string& name) const {
    return (path_ / name).string();
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// Sets environment variable `name` to `value` for the life of the object, then puts back
// what was there (or unsets it). Local: set it on every rank that needs it.
class scoped_env {
 public:
  scoped_env(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
  ~scoped_env() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace weft::testing
