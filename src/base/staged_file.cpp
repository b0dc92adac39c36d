#include "weft/base/staged_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "weft/base/error.hpp"
#include "weft/base/unique_fd.hpp"

namespace weft {

namespace fs = std::filesystem;

void sync_path(const fs::path& path) {
  const unique_fd fd = unique_fd::open(path, O_RDONLY);
  if (!fd) throw error("cannot open '" + path.string() + "' to sync: " + std::strerror(errno));
  if (::fsync(fd.get()) != 0) {
    throw error("fsync of '" + path.string() + "' failed: " + std::strerror(errno));
  }
}

fs::path staged_file::temporary_for(const fs::path& target, long pid) {
  fs::path dir = target.parent_path();
  return dir / ("." + target.filename().string() + ".tmp." + std::to_string(pid));
}

staged_file::staged_file(const fs::path& target, bool overwrite)
    : staged_file(target, temporary_for(target, static_cast<long>(::getpid())), overwrite) {}

staged_file::staged_file(fs::path target, fs::path temporary, bool overwrite)
    : target_(std::move(target)), temporary_(std::move(temporary)) {
  const fs::path dir = target_.parent_path().empty() ? fs::path(".") : target_.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw usage_error("output folder '" + dir.string() + "' does not exist; create it first");
  }
  if (fs::exists(target_, ec) && !overwrite) {
    throw output_exists(target_);
  }
}

staged_file::staged_file(staged_file&& other) noexcept
    : target_(std::move(other.target_)),
      temporary_(std::move(other.temporary_)),
      committed_(std::exchange(other.committed_, true)) {}

staged_file::~staged_file() {
  if (committed_) return;
  std::error_code ec;
  fs::remove(temporary_, ec);  // nothing to do if it was never created
}

void staged_file::commit() {
  sync_path(temporary_);
  std::error_code ec;
  fs::rename(temporary_, target_, ec);
  if (ec) {
    throw error("cannot rename '" + temporary_.string() + "' to '" + target_.string() +
                "': " + ec.message());
  }
  committed_ = true;
  const fs::path dir = target_.parent_path().empty() ? fs::path(".") : target_.parent_path();
  sync_path(dir);
}

std::string read_file_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return in ? text.str() : std::string();
}

void write_file_atomically(const fs::path& target, const std::string& content, bool overwrite) {
  staged_file staged(target, overwrite);
  {
    std::ofstream out(staged.temporary(), std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) throw error("cannot write '" + staged.temporary().string() + "'");
  }
  staged.commit();
}

}  // namespace weft
