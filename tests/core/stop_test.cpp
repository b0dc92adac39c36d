// Stop requests: a signal on one rank becomes the same answer on every rank, and the stop
// ends with exit code 75 as a collective error.
#include "weft/core/stop.hpp"

#include <gtest/gtest.h>

#include <csignal>

#include "test_support.hpp"

namespace weft {
namespace {

using testing::world;

TEST(stop_request, a_signal_on_the_last_rank_is_agreed_by_every_rank) {
  stop_request stop(world());
  const int before = stop.agreed();
  if (world().rank() == world().size() - 1) std::raise(SIGUSR1);

  const int after = stop.agreed();

  EXPECT_EQ(before, 0);
  EXPECT_EQ(after, SIGUSR1);
}

TEST(stop_request, stopped_throws_a_collective_error_with_exit_code_75) {
  stop_request stop(world());
  if (world().rank() == 0) std::raise(SIGTERM);
  ASSERT_EQ(stop.agreed(), SIGTERM);

  try {
    stop.stopped(4, 10, "jacobi", "rerun to resume");
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), exit_code::interrupted);
    EXPECT_TRUE(e.collective());
    EXPECT_EQ(std::string(e.what()),
              "jacobi: stopped by SIGTERM after step 4 of 10; rerun to resume");
  }
}

TEST(stop_signals, the_previous_handler_is_back_after_the_scope) {
  struct sigaction before {};
  sigaction(SIGUSR1, nullptr, &before);
  {
    const stop_signals s({SIGUSR1});
    std::raise(SIGUSR1);
    EXPECT_EQ(stop_signals::received(), SIGUSR1);
  }
  struct sigaction after {};
  sigaction(SIGUSR1, nullptr, &after);

  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

}  // namespace
}  // namespace weft
