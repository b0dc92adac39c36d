// program: the name, version and revision of the program weft runs in — "weft" for the
// weft command, a user's own program otherwise. The top level prints errors as
// "NAME: ..."; provenance records the program, its version and revision, and weft's own
// version and revision beside them, so a user's results never carry weft's revision as
// their own.
//
//   int main(int argc, char** argv) {
//     weft::set_program("jacobi", "1.2.0", MY_GIT_REVISION);
//     weft::environment env(argc, argv);
//     return weft::environment::run([&] { ... });
//   }
//
// Call set_program once, first thing in main, before other threads start. Free of MPI.
#pragma once

#include <string>

namespace weft {

struct program_info {
  std::string name = "weft";
  std::string version;   // weft's own version unless set
  std::string revision;  // weft's own git revision unless set; "" when unknown
};

void set_program(std::string name, std::string version = "", std::string revision = "");
[[nodiscard]] const program_info& program();

}  // namespace weft
