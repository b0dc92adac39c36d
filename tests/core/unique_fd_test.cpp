#include "weft/base/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <utility>

namespace {

// Whether fd names an open descriptor of this process.
bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

TEST(unique_fd, closes_its_descriptor_when_it_goes) {
  int raw = -1;
  {
    const weft::unique_fd fd = weft::unique_fd::open("/dev/null", O_RDONLY);
    ASSERT_TRUE(fd);
    raw = fd.get();
    EXPECT_TRUE(is_open(raw));
    EXPECT_EQ(::fcntl(raw, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(unique_fd, a_move_hands_over_the_descriptor_and_reset_closes_the_old_one) {
  weft::unique_fd a = weft::unique_fd::open("/dev/null", O_RDONLY);
  const int raw = a.get();
  weft::unique_fd b = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): a moved-from unique_fd is empty
  EXPECT_EQ(b.get(), raw);
  weft::unique_fd c = weft::unique_fd::open("/dev/null", O_RDONLY);
  const int other = c.get();
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  EXPECT_FALSE(is_open(other));
  const int released = c.release();
  EXPECT_FALSE(c.valid());
  EXPECT_TRUE(is_open(released));
  ::close(released);
}

TEST(unique_fd, a_failed_open_is_invalid_and_leaves_errno) {
  const weft::unique_fd fd = weft::unique_fd::open("/no/such/folder/file", O_RDONLY);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_FALSE(fd);
  EXPECT_EQ(fd.get(), -1);
}

TEST(unique_fd, a_pipe_carries_bytes_from_its_write_end_to_its_read_end) {
  auto [in, out] = weft::unique_fd::pipe();
  ASSERT_TRUE(in && out);
  EXPECT_EQ(::fcntl(in.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  ASSERT_EQ(::write(out.get(), "weft", 4), 4);
  out.reset();
  char buffer[8] = {};
  EXPECT_EQ(::read(in.get(), buffer, sizeof buffer), 4);
  EXPECT_EQ(std::string(buffer, 4), "weft");
  EXPECT_EQ(::read(in.get(), buffer, sizeof buffer), 0);  // the write end is closed
}

}  // namespace
