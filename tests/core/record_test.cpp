#include "weft/base/record.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

weft::record sample() {
  weft::record r;
  r.kernel = "demo";
  r.parameters = {{"n", 10}};
  r.placement.ranks = 2;
  r.placement.threads = 3;
  r.phases.push_back({"compute", 1.0, 1.5, 2.0});
  r.metrics.push_back({"rate", 12.5, "GB/s", true, "bytes / time"});
  r.tables.push_back({"sizes", {"size", "time"}, {{1, 2}, {3, 4}}});
  r.check = {true, "closed form", "exact"};
  return r;
}

TEST(record, json_carries_every_section_with_units_and_statistics) {
  const auto j = sample().to_json();
  EXPECT_EQ(j["schema"], "weft.record/1");
  EXPECT_EQ(j["kernel"], "demo");
  EXPECT_EQ(j["parameters"]["n"], 10);
  EXPECT_EQ(j["layout"]["workers"], 6);
  EXPECT_DOUBLE_EQ(j["phases"][0]["imbalance"].get<double>(), 2.0 / 1.5);
  EXPECT_EQ(j["metrics"][0]["unit"], "GB/s");
  EXPECT_EQ(j["tables"][0]["rows"][1][1], 4.0);
  EXPECT_TRUE(j["validation"]["passed"].get<bool>());
}

TEST(record, text_names_the_layout_the_metrics_and_the_validation) {
  const auto text = sample().to_text();
  EXPECT_THAT(text, testing::HasSubstr("demo on 2 ranks x 3 threads"));
  EXPECT_THAT(text, testing::HasSubstr("12.5"));
  EXPECT_THAT(text, testing::HasSubstr("GB/s"));
  EXPECT_THAT(text, testing::HasSubstr("validation: passed"));
}

TEST(record, find_metric_returns_null_for_an_unknown_name) {
  const auto r = sample();
  ASSERT_NE(r.find_metric("rate"), nullptr);
  EXPECT_EQ(r.find_metric("nope"), nullptr);
}

}  // namespace
