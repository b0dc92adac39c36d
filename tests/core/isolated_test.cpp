// run_isolated: work in a child process comes back as text, an exception as its message,
// and a crash, an abort, a hang or a runaway allocation as an outcome, never as the end of
// the caller.
#include "weft/base/isolated.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace weft {
namespace {

TEST(isolated, the_childs_answer_comes_back) {
  const int here = 41;
  const auto r = run_isolated([&] { return "answer " + std::to_string(here + 1); });
  EXPECT_EQ(r.how, isolated_outcome::ok);
  EXPECT_EQ(r.text, "answer 42");
}

TEST(isolated, a_long_answer_comes_back_whole) {
  const auto r = run_isolated([] { return std::string(1 << 20, 'x'); });
  EXPECT_EQ(r.how, isolated_outcome::ok);
  EXPECT_EQ(r.text.size(), std::size_t{1} << 20U);
}

TEST(isolated, an_exception_comes_back_as_its_message) {
  const auto r = run_isolated([]() -> std::string { throw std::runtime_error("no such thing"); });
  EXPECT_EQ(r.how, isolated_outcome::failed);
  EXPECT_EQ(r.text, "no such thing");
}

TEST(isolated, a_crash_and_an_abort_end_the_child_only) {
  // The caller's own handler would run for a raise() here; the child has the default.
  const auto segv = run_isolated([]() -> std::string {
    std::raise(SIGSEGV);
    return "survived";
  });
  EXPECT_EQ(segv.how, isolated_outcome::crashed);
  EXPECT_EQ(segv.signal, SIGSEGV);
  const auto abrt = run_isolated([]() -> std::string { std::abort(); });
  EXPECT_EQ(abrt.how, isolated_outcome::crashed);
  EXPECT_EQ(abrt.signal, SIGABRT);
  const auto quiet = run_isolated([]() -> std::string { ::_exit(0); });
  EXPECT_EQ(quiet.how, isolated_outcome::crashed);
  EXPECT_EQ(quiet.signal, 0);
}

TEST(isolated, a_hang_is_killed_at_the_time_limit) {
  const auto r = run_isolated(
      []() -> std::string {
        for (;;) ::pause();
      },
      {.seconds = 0.3});
  EXPECT_EQ(r.how, isolated_outcome::timed_out);
}

TEST(isolated, a_runaway_allocation_meets_the_memory_limit) {
  const auto r = run_isolated(
      []() -> std::string {
        std::vector<char> v(std::size_t{8} << 30U, 1);  // 8 GiB, past the 1 GiB allowed
        return std::to_string(v.size());
      },
      {.seconds = 20, .extra_bytes = std::size_t{1} << 30U});
  // std::bad_alloc, or (under a sanitizer's allocator) an abort: either way not an answer.
  if (r.how == isolated_outcome::failed) {
    EXPECT_NE(r.text.find("bad_alloc"), std::string::npos) << r.text;
  } else {
    EXPECT_EQ(r.how, isolated_outcome::crashed);
  }
}

TEST(isolated, a_task_runs_while_the_caller_works) {
  // The child waits for a file the caller writes only after starting it: were the task
  // run to its end before the constructor returned, it would never see the file.
  const std::string marker =
      (std::filesystem::temp_directory_path() / ("weft-isolated-" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove(marker);
  isolated_task task([marker] {
    for (int i = 0; i < 500; ++i) {
      if (std::filesystem::exists(marker)) return std::string("done");
      ::usleep(10000);
    }
    return std::string("no marker after 5 s");
  });
  std::ofstream(marker) << "go";
  const auto r = task.wait();
  std::filesystem::remove(marker);
  EXPECT_EQ(r.how, isolated_outcome::ok);
  EXPECT_EQ(r.text, "done");
  EXPECT_EQ(task.wait().how, isolated_outcome::unavailable);  // once only
}

}  // namespace
}  // namespace weft
