#include "weft/base/program.hpp"

#include <utility>

#include "weft/build_info.hpp"

namespace weft {

namespace {
program_info& current() {
  static program_info info{"weft", build_info::version, build_info::git_revision};
  return info;
}
}  // namespace

void set_program(std::string name, std::string version, std::string revision) {
  current() = program_info{std::move(name), std::move(version), std::move(revision)};
}

const program_info& program() {
  return current();
}

}  // namespace weft
