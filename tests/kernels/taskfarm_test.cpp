#include <gtest/gtest.h>
#include <omp.h>

#include <string>

#include "kernel_support.hpp"

namespace {

TEST(taskfarm, every_distribution_runs_every_task_once_in_both_modes) {
  for (const std::string dist : {"fixed", "uniform", "exponential", "bimodal"}) {
    const auto rec = weft::testing::run_kernel(
        "taskfarm", {{"tasks", 200}, {"mean", 0.0002}, {"distribution", dist}});
    EXPECT_TRUE(rec.check.passed) << dist << ": " << rec.check.detail;
    ASSERT_NE(rec.find_metric("dynamic_tasks_per_second"), nullptr);
    ASSERT_NE(rec.find_metric("static_tasks_per_second"), nullptr);
    EXPECT_GT(rec.find_metric("dynamic_efficiency")->value, 0) << dist;
    EXPECT_GE(rec.find_metric("dynamic_busy_max_over_mean")->value, 1.0) << dist;
  }
}

TEST(taskfarm, reports_one_busy_time_per_worker_for_both_modes) {
  const auto w = weft::testing::world();
  const auto rec = weft::testing::run_kernel("taskfarm", {{"tasks", 50}, {"mean", 0.0001}});
  const int workers = w.allreduce(omp_get_max_threads(), weft::op::sum);
  EXPECT_EQ(rec.extra["workers"].get<int>(), workers);
  EXPECT_EQ(rec.extra["dynamic_worker_busy"].size(), static_cast<std::size_t>(workers));
  EXPECT_EQ(rec.extra["static_worker_busy"].size(), static_cast<std::size_t>(workers));
}

TEST(taskfarm, empty_tasks_in_chunks_of_one_validate) {
  const auto rec = weft::testing::run_kernel("taskfarm", {{"tasks", 3000},
                                                          {"mean", 0.0},
                                                          {"distribution", "fixed"},
                                                          {"chunk", 1},
                                                          {"dynamic-only", true}});
  EXPECT_TRUE(rec.check.passed) << rec.check.detail;
  EXPECT_EQ(rec.find_metric("static_tasks_per_second"), nullptr);
  EXPECT_GT(rec.find_metric("dynamic_tasks_per_second")->value, 0);
}

TEST(taskfarm, zero_tasks_and_fewer_tasks_than_workers_validate) {
  for (const int n : {0, 1, 3}) {
    const auto rec = weft::testing::run_kernel(
        "taskfarm", {{"tasks", n}, {"mean", 0.0001}, {"order", "sorted"}});
    EXPECT_TRUE(rec.check.passed) << n << ": " << rec.check.detail;
  }
}

TEST(taskfarm, a_bimodal_spread_above_one_is_a_usage_error) {
  EXPECT_THROW(weft::testing::run_kernel(
                   "taskfarm", {{"tasks", 10}, {"distribution", "bimodal"}, {"spread", 1.5}}),
               weft::usage_error);
}

}  // namespace
