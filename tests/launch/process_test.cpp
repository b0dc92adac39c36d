// Processes: exit codes, output, and the wall-clock limit that ends a whole process group.
#include "launch/process.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace weft::launch {
namespace {

TEST(run_process, returns_the_exit_code_and_the_output_of_the_program) {
  process_options o;
  o.capture = true;
  o.environment = {{"WEFT_TEST_VALUE", "a b$(x)"}};

  const auto r = run_process({"sh", "-c", "printf '%s' \"$WEFT_TEST_VALUE\"; exit 3"}, o);

  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.output, "a b$(x)");
  EXPECT_FALSE(r.timed_out);
}

TEST(run_process, a_program_that_cannot_start_exits_127) {
  process_options o;
  o.capture = true;

  const auto r = run_process({"/no/such/program"}, o);

  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.output.find("cannot start"), std::string::npos);
}

TEST(run_process, the_time_limit_ends_the_program_and_its_children) {
  process_options o;
  o.time_limit_s = 1;
  o.grace_s = 1;
  o.capture = true;

  // The child ignores SIGTERM, so only the SIGKILL after the grace period ends it.
  const auto r = run_process({"sh", "-c", "trap '' TERM; sleep 30 & sleep 30; wait"}, o);

  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.seconds, 10.0);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
}

}  // namespace
}  // namespace weft::launch
