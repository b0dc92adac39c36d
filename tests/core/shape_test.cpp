// Shape types: boxes, element counts and the "AxB" text form.
#include "weft/core/shape.hpp"

#include <gtest/gtest.h>

#include "weft/base/error.hpp"

namespace weft {
namespace {

TEST(box, contains_its_corners_and_not_the_index_past_its_end) {
  const box b{{2, 3}, {4, 5}};

  EXPECT_EQ(b.size(), 20);
  EXPECT_TRUE(b.contains({2, 3}));
  EXPECT_TRUE(b.contains({5, 7}));
  EXPECT_FALSE(b.contains({6, 7}));
  EXPECT_FALSE(b.contains({2}));
}

TEST(parse_extents, reads_sizes_and_refuses_zero_junk_and_too_many_axes) {
  EXPECT_EQ(parse_extents("4x5x6", "--shape"), (extents{4, 5, 6}));
  EXPECT_EQ(parse_extents("2x2x2x2", "--shape", 4), (extents{2, 2, 2, 2}));
  EXPECT_THROW((void)parse_extents("4x0", "--shape"), usage_error);
  EXPECT_THROW((void)parse_extents("4xx5", "--shape"), usage_error);
  EXPECT_THROW((void)parse_extents("2x2x2x2", "--shape"), usage_error);
}

TEST(element_count, of_a_scalar_is_one_and_to_string_says_scalar) {
  EXPECT_EQ(element_count({}), 1);
  EXPECT_EQ(element_count({3, 0}), 0);
  EXPECT_EQ(to_string(extents{}), "scalar");
  EXPECT_EQ(to_string(extents{8192, 4}), "8192x4");
}

}  // namespace
}  // namespace weft
