// A user's program names itself: provenance carries its name, version and revision, and
// weft's own version beside them.
#include "weft/base/program.hpp"

#include <gtest/gtest.h>

#include "weft/build_info.hpp"
#include "weft/core/provenance.hpp"

namespace weft {
namespace {

TEST(program, provenance_names_the_users_program_and_keeps_wefts_version_apart) {
  const program_info saved = program();
  set_program("jacobi", "1.2.0", "abc123");

  const json p = provenance();
  set_program(saved.name, saved.version, saved.revision);

  EXPECT_EQ(p["software"], "jacobi");
  EXPECT_EQ(p["version"], "1.2.0");
  EXPECT_EQ(p["git_revision"], "abc123");
  EXPECT_EQ(p["weft"]["version"], build_info::version);
  EXPECT_EQ(p["weft"]["git_revision"], build_info::git_revision);
}

TEST(program, by_default_it_is_weft_itself) {
  EXPECT_EQ(program().name, "weft");
  EXPECT_EQ(provenance()["git_revision"], build_info::git_revision);
  EXPECT_FALSE(provenance().contains("weft"));
}

}  // namespace
}  // namespace weft
