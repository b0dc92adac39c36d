#include "weft/io/file.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.hpp"
#include "weft/core/error.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"

namespace fs = std::filesystem;

namespace {

using namespace weft::io;
using weft::testing::world;

TEST(dataset_ref, splits_file_and_path_at_the_last_colon_slash) {
  const auto r = parse_dataset_ref("data.h5:/group/values", "--input");
  EXPECT_EQ(r.file, "data.h5");
  EXPECT_EQ(r.path, "/group/values");
  const auto odd = parse_dataset_ref("c:/dir/data.h5:/v", "--input");
  EXPECT_EQ(odd.file, "c:/dir/data.h5");
  EXPECT_EQ(odd.path, "/v");
  EXPECT_EQ(parse_dataset_ref("data.h5", "", false).file, "data.h5");
  EXPECT_EQ(parse_dataset_ref("data.h5", "", false).path, "");
}

TEST(dataset_ref, a_hash_selects_a_field_and_dots_nest_it) {
  const auto r = parse_dataset_ref("t.h5:/tables/rows#obs.temp", "--input");
  EXPECT_EQ(r.file, "t.h5");
  EXPECT_EQ(r.path, "/tables/rows");
  EXPECT_EQ(r.field, (std::vector<std::string>{"obs", "temp"}));
  EXPECT_EQ(r.field_text(), "obs.temp");
  EXPECT_EQ(r.text(), "t.h5:/tables/rows#obs.temp");
  EXPECT_TRUE(parse_dataset_ref("t.h5:/v", "--input").field.empty());
}

TEST(dataset_ref, malformed_text_is_a_usage_error_naming_the_option) {
  for (const char* bad : {"data.h5", ":/values", "data.h5:/", "data.h5:/a//b", "data.h5:/a/", "",
                          "data.h5:/t#", "data.h5:/t#a..b", "data.h5:/t#.a", "data.h5:/#a"}) {
    try {
      (void)parse_dataset_ref(bad, "--input");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const weft::usage_error& e) {
      EXPECT_NE(std::string(e.what()).find("--input"), std::string::npos) << e.what();
    }
  }
}

TEST(output_file, appears_under_its_name_only_after_commit_with_provenance) {
  const weft::testing::scratch_dir dir;
  const auto target = dir / "out.h5";
  {
    output_file out(world(), target, false, {{"answer", 42}});
    EXPECT_FALSE(fs::exists(target));
    EXPECT_TRUE(fs::exists(out.temporary()));
    {
      const auto d = create_dataset(out.native_handle(), "/g/x", element_type::i32, {3});
      const std::vector<std::int32_t> v{1, 2, 3};
      (void)write_replicated(world(), d, std::span<const std::int32_t>(v));
    }
    world().barrier();
    out.commit();
    EXPECT_TRUE(fs::exists(target));
    EXPECT_FALSE(fs::exists(out.temporary()));
  }
  const auto f = open_file(world(), target);
  EXPECT_EQ(f.read_string_attribute("software"), "weft");
  EXPECT_TRUE(f.read_string_attribute("softwareVersion").has_value());
  EXPECT_TRUE(f.read_string_attribute("date").has_value());
  EXPECT_TRUE(f.read_string_attribute("git_revision").has_value());
  const auto params = f.read_string_attribute("parameters");
  ASSERT_TRUE(params.has_value());
  EXPECT_NE(params->find("\"answer\":42"), std::string::npos) << *params;
  bool has_ranks = false;
  for (const auto& [name, value] : f.attributes()) {
    if (name == "ranks") {
      has_ranks = true;
      EXPECT_EQ(value, std::to_string(world().size()));
    }
  }
  EXPECT_TRUE(has_ranks);
}

TEST(output_file, an_uncommitted_output_leaves_no_file_behind) {
  const weft::testing::scratch_dir dir;
  const auto target = dir / "never.h5";
  fs::path temporary;
  {
    const output_file out(world(), target, false);
    temporary = out.temporary();
  }
  world().barrier();
  EXPECT_FALSE(fs::exists(target));
  EXPECT_FALSE(fs::exists(temporary));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(output_file, refuses_to_replace_an_existing_file_unless_asked) {
  const weft::testing::scratch_dir dir;
  const auto target = dir / "kept.h5";
  {
    output_file out(world(), target, false);
    out.commit();
  }
  EXPECT_THROW(output_file(world(), target, false), weft::usage_error);
  EXPECT_THROW(output_file(world(), dir / "no/such/folder/x.h5", false), weft::usage_error);
  output_file again(world(), target, true);
  again.commit();
  EXPECT_TRUE(fs::exists(target));
}

}  // namespace
