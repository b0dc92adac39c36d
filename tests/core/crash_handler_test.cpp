// crash_handler: a fatal signal is one line on stderr, and a SIGBUS inside a guarded
// mapping (a mapped input file that shrank) is that mapping's own message and exit code.
#include "weft/base/crash_handler.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

namespace weft {
namespace {

struct ended {
  int status = 0;
  std::string err;
};

// Runs work() in a forked child with the crash handler installed, returning how the child
// ended and what it wrote on stderr.
template <class Work>
ended in_child(Work work) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe(pipe_fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::close(pipe_fds[0]);
    install_crash_handler(3);
    work();
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  ended e;
  char buffer[512];
  for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    e.err.append(buffer, static_cast<std::size_t>(got));
  ::close(pipe_fds[0]);
  ::waitpid(pid, &e.status, 0);
  return e;
}

class mapped_file : public ::testing::Test {
 protected:
  std::filesystem::path path_ =
      std::filesystem::temp_directory_path() / ("weft-crash-" + std::to_string(::getpid()));
  void SetUp() override { std::ofstream(path_) << std::string(1 << 16, 'x'); }
  void TearDown() override { std::filesystem::remove(path_); }
};

TEST_F(mapped_file, a_sigbus_in_a_guarded_mapping_is_its_message_and_exit_code) {
  const std::string file = path_;
  const auto e = in_child([&] {
    const int fd = ::open(file.c_str(), O_RDWR);
    auto* m = static_cast<volatile char*>(::mmap(nullptr, 1 << 16, PROT_READ, MAP_SHARED, fd, 0));
    (void)guard_mapping(const_cast<char*>(m), 1 << 16, "the input file shrank",
                        exit_code::bad_input);
    (void)::ftruncate(fd, 0);
    (void)m[1 << 15];  // past the new end: SIGBUS
  });
  ASSERT_TRUE(WIFEXITED(e.status)) << e.err;
  EXPECT_EQ(WEXITSTATUS(e.status), 3);
  EXPECT_EQ(e.err.find("rank 3: the input file shrank\n") != std::string::npos, true) << e.err;
}

TEST_F(mapped_file, a_sigbus_elsewhere_is_still_a_fatal_signal) {
  const std::string file = path_;
  const auto e = in_child([&] {
    const int fd = ::open(file.c_str(), O_RDWR);
    auto* m = static_cast<volatile char*>(::mmap(nullptr, 1 << 16, PROT_READ, MAP_SHARED, fd, 0));
    const int slot = guard_mapping(const_cast<char*>(m), 1 << 16, "unused", exit_code::bad_input);
    unguard_mapping(slot);
    (void)::ftruncate(fd, 0);
    (void)m[1 << 15];
  });
  ASSERT_TRUE(WIFSIGNALED(e.status)) << e.err;
  EXPECT_EQ(WTERMSIG(e.status), SIGBUS);
  EXPECT_NE(e.err.find("rank 3: fatal signal SIGBUS"), std::string::npos) << e.err;
}

}  // namespace
}  // namespace weft
