#include "weft/par/task_pool.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

using weft::testing::world;

namespace {

TEST(task_pool, map_returns_results_in_input_order_on_rank_0) {
  const auto w = world();
  weft::par::task_pool pool(w);
  std::vector<double> inputs(1000);
  std::iota(inputs.begin(), inputs.end(), 0.0);

  const auto out = pool.map(inputs, [](double x) { return x * x; });

  if (w.rank() == 0) {
    ASSERT_EQ(out.size(), inputs.size());
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], inputs[i] * inputs[i]);
  } else {
    EXPECT_TRUE(out.empty());
  }
}

TEST(task_pool, map_can_deliver_results_on_every_rank) {
  const auto w = world();
  weft::par::task_pool pool(w);

  const auto out = pool.map_index(
      257, [](std::size_t i) { return static_cast<long>(3 * i + 1); },
      weft::par::results_on::all_ranks);

  ASSERT_EQ(out.size(), 257u);
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], static_cast<long>(3 * i + 1));
}

TEST(task_pool, every_task_runs_exactly_once_across_ranks_and_threads) {
  const auto w = world();
  weft::par::task_pool pool(w);
  const std::size_t n = 5000;
  std::vector<int> hits(n, 0);

  pool.for_each(n, [&](std::size_t i) {
#pragma omp atomic
    hits[i] += 1;
  });
  std::vector<int> total(n, 0);
  w.allreduce(std::span<const int>(hits), std::span<int>(total), weft::op::sum);

  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(total[i], 1) << "task " << i;
  const auto tasks =
      w.allreduce(static_cast<unsigned long long>(pool.stats().tasks), weft::op::sum);
  EXPECT_EQ(tasks, n);
}

TEST(task_pool, for_each_over_a_range_passes_the_indices_of_that_range) {
  const auto w = world();
  weft::par::task_pool pool(w);
  long long local = 0;

  pool.for_each(std::size_t{100}, std::size_t{200}, [&](std::size_t i) {
#pragma omp atomic
    local += static_cast<long long>(i);
  });

  EXPECT_EQ(w.allreduce(local, weft::op::sum), 14950);  // 100 + ... + 199
}

TEST(task_pool, an_empty_input_gives_an_empty_result_without_running_anything) {
  const auto w = world();
  weft::par::task_pool pool(w);
  std::vector<int> none;
  int ran = 0;

  const auto out = pool.map(none, [&](int x) {
    ++ran;
    return x;
  });
  const double sum = pool.reduce(
      0, [](std::size_t) { return 1.0; }, 0.5, std::plus<>{});

  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(sum, 0.5);
  EXPECT_EQ(pool.stats().tasks, 0u);
}

TEST(task_pool, fewer_tasks_than_workers_still_completes) {
  const auto w = world();
  weft::par::task_pool pool(w);

  const auto out = pool.map_index(
      1, [](std::size_t i) { return static_cast<int>(i) + 41; }, weft::par::results_on::all_ranks);
  const auto three = pool.map_index(
      3, [](std::size_t i) { return static_cast<int>(i); }, weft::par::results_on::all_ranks);

  EXPECT_EQ(out, std::vector<int>{41});
  EXPECT_EQ(three, (std::vector<int>{0, 1, 2}));
}

TEST(task_pool, a_throwing_task_is_reported_with_its_index_on_every_rank) {
  const auto w = world();
  weft::par::task_pool pool(w);
  std::size_t caught_index = 0;
  std::string caught_message;
  bool collective = false;

  try {
    pool.for_each(300, [](std::size_t i) {
      if (i == 123 || i == 250) throw std::runtime_error("bad input " + std::to_string(i));
    });
  } catch (const weft::par::task_error& e) {
    caught_index = e.task_index();
    caught_message = e.what();
    collective = e.collective();
  }

  EXPECT_EQ(caught_index, 123u);  // the lowest failing index, whoever ran it
  EXPECT_NE(caught_message.find("task 123"), std::string::npos) << caught_message;
  EXPECT_NE(caught_message.find("bad input 123"), std::string::npos) << caught_message;
  EXPECT_TRUE(collective);
}

TEST(task_pool, the_pool_is_usable_after_a_task_failed) {
  const auto w = world();
  weft::par::task_pool pool(w);
  EXPECT_THROW(pool.for_each(10, [](std::size_t) { throw std::logic_error("always"); }),
               weft::par::task_error);

  const auto out = pool.map_index(
      10, [](std::size_t i) { return static_cast<int>(i * i); }, weft::par::results_on::all_ranks);

  ASSERT_EQ(out.size(), 10u);
  EXPECT_EQ(out[9], 81);
}

TEST(task_pool, ranks_passing_different_task_counts_get_a_usage_error) {
  const auto w = world();
  if (w.size() < 2) GTEST_SKIP() << "needs two ranks to disagree";
  weft::par::task_pool pool(w);

  EXPECT_THROW(pool.for_each(static_cast<std::size_t>(10 + w.rank()), [](std::size_t) {}),
               weft::usage_error);
}

TEST(task_pool, uneven_task_times_spread_over_all_workers) {
  const auto w = world();
  weft::par::task_pool pool(w);
  // The first tasks are slow: with a static split the first worker would get them all.
  const std::size_t n = 64;

  const auto out = pool.map_index(
      n,
      [](std::size_t i) {
        if (i < 8) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return omp_get_thread_num();
      },
      weft::par::results_on::all_ranks);

  EXPECT_EQ(out.size(), n);
  const auto& s = pool.stats();
  EXPECT_EQ(s.thread_busy.size(), static_cast<std::size_t>(omp_get_max_threads()));
  EXPECT_GE(s.wall, 0.0);
  EXPECT_GE(s.idle, 0.0);
  const auto total = w.allreduce(static_cast<unsigned long long>(s.tasks), weft::op::sum);
  EXPECT_EQ(total, n);
  // The slow tasks were handed out as small chunks: the rank that took the first chunk
  // cannot have taken them all when there is another worker free.
  double mine = 0;
  for (double b : s.thread_busy) mine = std::max(mine, b);
  const double busy = w.allreduce(mine, weft::op::max);
  const double sum_busy = w.allreduce(s.busy, weft::op::sum);
  if (w.size() * omp_get_max_threads() > 1) {
    EXPECT_LT(busy, sum_busy);
  }
}

TEST(task_pool, reduce_folds_in_index_order_whatever_the_layout) {
  const auto w = world();
  weft::par::task_pool pool(w);
  // Floating-point addition is not associative: only a fixed order gives these bits.
  auto term = [](std::size_t i) { return 1.0 / static_cast<double>(i + 1) * (i % 2 ? -1.0 : 1.0); };
  double serial = 0.0;
  for (std::size_t i = 0; i < 10000; ++i) serial = serial + term(i);

  const double total = pool.reduce(10000, term, 0.0, std::plus<>{});

  EXPECT_EQ(total, serial);  // bitwise
}

TEST(task_pool, fixed_chunks_of_one_hand_out_every_task) {
  const auto w = world();
  weft::par::task_pool pool(w, weft::par::pool_options{1, 1});

  const auto out = pool.map_index(500, [](std::size_t i) { return static_cast<unsigned>(i); });

  if (w.rank() == 0) {
    ASSERT_EQ(out.size(), 500u);
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], i);
  }
  const auto chunks =
      w.allreduce(static_cast<unsigned long long>(pool.stats().chunks), weft::op::sum);
  EXPECT_EQ(chunks, 500u);
}

TEST(task_pool, fixed_chunks_of_one_keep_every_thread_of_every_rank_busy) {
  // Tasks of 2 ms handed out one at a time: every thread of every rank runs some. (Rank
  // 0 used to queue one task per step of its master thread, which took it itself, and
  // its other threads never ran one.)
  const auto w = world();
  weft::par::task_pool pool(w, weft::par::pool_options{1, 1});
  const std::size_t n = 24 * static_cast<std::size_t>(w.size() * omp_get_max_threads());
  pool.for_each(n, [](std::size_t) { std::this_thread::sleep_for(std::chrono::milliseconds(2)); });
  const auto& s = pool.stats();
  for (std::size_t t = 0; t < s.thread_tasks.size(); ++t) {
    EXPECT_GT(s.thread_tasks[t], 0u) << "thread " << t << " of rank " << w.rank();
  }
  const auto total = w.allreduce(static_cast<unsigned long long>(s.tasks), weft::op::sum);
  EXPECT_EQ(total, n);
}

}  // namespace
