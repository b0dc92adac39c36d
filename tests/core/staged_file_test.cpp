#include "weft/base/staged_file.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "weft/core/error.hpp"

namespace fs = std::filesystem;

namespace {

class staged_file_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("weft-staged-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  fs::path dir_;
};

TEST_F(staged_file_test, content_appears_under_the_real_name_only_after_commit) {
  const auto target = dir_ / "out.json";
  weft::staged_file f(target, false);
  { std::ofstream(f.temporary()) << "complete"; }
  EXPECT_FALSE(fs::exists(target));
  f.commit();
  EXPECT_EQ(read(target), "complete");
  EXPECT_FALSE(fs::exists(f.temporary()));
}

TEST_F(staged_file_test, an_uncommitted_file_leaves_nothing_behind) {
  const auto target = dir_ / "out.h5";
  fs::path temp;
  {
    weft::staged_file f(target, false);
    temp = f.temporary();
    std::ofstream(temp) << "half";
  }
  EXPECT_FALSE(fs::exists(target));
  EXPECT_FALSE(fs::exists(temp));
}

TEST_F(staged_file_test, an_existing_output_is_kept_unless_overwrite_is_asked) {
  const auto target = dir_ / "keep.txt";
  weft::write_file_atomically(target, "old");
  EXPECT_THROW(weft::staged_file(target, false), weft::usage_error);
  weft::write_file_atomically(target, "new", true);
  EXPECT_EQ(read(target), "new");
}

TEST_F(staged_file_test, a_missing_folder_is_a_usage_error) {
  try {
    weft::staged_file f(dir_ / "nope" / "x.json", true);
    FAIL() << "expected usage_error";
  } catch (const weft::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos);
  }
}

}  // namespace
