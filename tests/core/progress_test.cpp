// Progress: one line per tenth of the work in a log, and only from rank 0.
#include "weft/core/progress.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "test_support.hpp"

namespace weft {
namespace {

using testing::world;

// What a progress reporter wrote into a temporary file.
template <class Body>
std::string captured(Body body) {
  std::FILE* f = std::tmpfile();
  body(fileno(f));
  std::fflush(f);
  std::rewind(f);
  std::string text;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof(buffer), f)) text.append(buffer, n);
  std::fclose(f);
  return text;
}

std::size_t lines_in(const std::string& text) {
  std::size_t n = 0;
  for (const char c : text) n += c == '\n' ? 1 : 0;
  return n;
}

TEST(progress, lines_style_prints_one_line_per_tenth_on_rank_0_only) {
  ::unsetenv("WEFT_PROGRESS");
  const std::string text = captured([](int fd) {
    progress p(world(), 0, 200,
               {.label = "jacobi", .unit = "sweeps", .how = progress::style::lines, .fd = fd});
    for (long long s = 1; s <= 200; ++s) p.update(s);
  });

  if (world().rank() == 0) {
    EXPECT_EQ(lines_in(text), 10U) << text;
    EXPECT_NE(text.find("jacobi: 100/200 sweeps (50 %)"), std::string::npos) << text;
    EXPECT_NE(text.find("jacobi: 200/200 sweeps (100 %)"), std::string::npos) << text;
  } else {
    EXPECT_EQ(text, "");
  }
}

TEST(progress, a_resumed_run_counts_from_where_it_starts) {
  const std::string text = captured([](int fd) {
    progress p(world(), 150, 200, {.label = "heat", .how = progress::style::lines, .fd = fd});
    for (long long s = 151; s <= 200; ++s) p.update(s);
  });

  if (world().rank() == 0) {
    EXPECT_EQ(lines_in(text), 3U) << text;  // 80 %, 90 %, 100 %
    EXPECT_EQ(text.rfind("heat: 160/200 steps (80 %)", 0), 0U) << text;
  }
}

TEST(progress, the_environment_can_silence_it) {
  ::setenv("WEFT_PROGRESS", "off", 1);
  const std::string text = captured([](int fd) {
    progress p(world(), 0, 10, {.how = progress::style::lines, .fd = fd});
    for (long long s = 1; s <= 10; ++s) p.update(s);
  });
  ::unsetenv("WEFT_PROGRESS");

  EXPECT_EQ(text, "");
}

}  // namespace
}  // namespace weft
