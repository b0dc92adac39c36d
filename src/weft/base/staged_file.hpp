// staged_file: write an output under a temporary name, publish it by rename.
//
// A crash or kill while writing never leaves a half-written file under the real name:
// the content goes to "<dir>/.<name>.tmp.<pid>" and commit() fsyncs it, renames it onto
// the real name and fsyncs the folder. A staged_file destroyed without commit() removes
// its temporary. Refuses to replace an existing file unless `overwrite` is true.
// Local to the calling process (no communication); with parallel writers, one rank
// decides the temporary name and broadcasts it. Free of MPI: the launch layer and the
// report write their files through it too.
#pragma once

#include <filesystem>
#include <string>

#include "weft/base/error.hpp"

namespace weft {

// The output exists and replacing it was not allowed (exit 2). A command line adds how
// to allow it (weft's commands: --force).
class output_exists : public usage_error {
 public:
  explicit output_exists(const std::filesystem::path& target, bool collective = false)
      : usage_error("output '" + target.string() + "' already exists", collective),
        target_(target) {}
  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }

 private:
  std::filesystem::path target_;
};

class staged_file {
 public:
  // Throws output_exists when `target` exists and !overwrite, usage_error when its folder
  // is missing.
  staged_file(const std::filesystem::path& target, bool overwrite);
  // Stages under an agreed temporary name (all writers of one file must use the same).
  staged_file(std::filesystem::path target, std::filesystem::path temporary, bool overwrite);
  staged_file(const staged_file&) = delete;
  staged_file& operator=(const staged_file&) = delete;
  staged_file(staged_file&& other) noexcept;
  staged_file& operator=(staged_file&&) = delete;
  ~staged_file();

  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }
  [[nodiscard]] const std::filesystem::path& temporary() const noexcept { return temporary_; }
  // fsync the temporary, rename it onto the target, fsync the folder.
  void commit();
  // Forget the temporary without removing it (another process commits it).
  void release() noexcept { committed_ = true; }

  // The temporary name used for `target` by a process with id `pid`.
  static std::filesystem::path temporary_for(const std::filesystem::path& target, long pid);

 private:
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  bool committed_ = false;
};

// Writes `content` to `target` through a staged_file.
void write_file_atomically(const std::filesystem::path& target, const std::string& content,
                           bool overwrite = true);

// The whole content of a file; "" when it is missing or cannot be read.
[[nodiscard]] std::string read_file_text(const std::filesystem::path& path);

// fsync a file or folder by path; throws weft::error on failure.
void sync_path(const std::filesystem::path& path);

}  // namespace weft
