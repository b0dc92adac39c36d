#include "weft/core/log.hpp"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "test_support.hpp"

using weft::testing::world;

namespace {

// Captures what this process writes to stdout while `body` runs.
template <class F>
std::string capture_stdout(F body) {
  std::fflush(stdout);
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const int saved = ::dup(STDOUT_FILENO);
  ::dup2(fds[1], STDOUT_FILENO);
  body();
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  ::close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  return out;
}

TEST(log, only_rank_zero_speaks_by_default) {
  weft::log::set_all_ranks(false);
  const auto out = capture_stdout([] { weft::log::info("value {}", 42); });
  if (world().rank() == 0) {
    EXPECT_EQ(out, "value 42\n");
  } else {
    EXPECT_EQ(out, "");
  }
}

TEST(log, all_ranks_prefixes_each_line_with_the_rank) {
  weft::log::set_all_ranks(true);
  const auto out = capture_stdout([] { weft::log::info("hello"); });
  weft::log::set_all_ranks(false);
  EXPECT_EQ(out, "[rank " + std::to_string(world().rank()) + "] hello\n");
}

TEST(log, messages_above_the_level_are_dropped) {
  weft::log::set_level(weft::log::level::warn);
  const auto out = capture_stdout([] {
    weft::log::info("hidden");
    weft::log::debug("hidden too");
  });
  weft::log::set_level(weft::log::level::info);
  EXPECT_EQ(out, "");
}

}  // namespace
