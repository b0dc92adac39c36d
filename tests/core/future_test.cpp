#include "weft/core/future.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

using weft::testing::world;

namespace {

int next_rank(const weft::comm_ref& w) {
  return (w.rank() + 1) % w.size();
}
int prev_rank(const weft::comm_ref& w) {
  return (w.rank() + w.size() - 1) % w.size();
}

TEST(future, a_received_vector_arrives_through_get) {
  const auto w = world();
  auto in = weft::recv_async<int>(w, 3, prev_rank(w), 21);
  auto out = weft::send_async(w, std::vector<int>{w.rank(), 7, 8}, next_rank(w), 21);

  const auto got = in.get();
  out.get();

  EXPECT_EQ(got, (std::vector<int>{prev_rank(w), 7, 8}));
  EXPECT_FALSE(in.valid());
}

TEST(future, then_chains_continuations_in_order_on_the_waiting_thread) {
  const auto w = world();
  std::vector<std::string> steps;
  auto in = weft::recv_async<double>(w, 4, prev_rank(w), 22);
  auto out = weft::send_async(w, std::vector<double>{1, 2, 3, static_cast<double>(w.rank())},
                              next_rank(w), 22);

  auto total = std::move(in)
                   .then([&](std::vector<double> v) {
                     steps.push_back("sum");
                     return std::accumulate(v.begin(), v.end(), 0.0);
                   })
                   .then([&](double s) {
                     steps.push_back("double");
                     return 2 * s;
                   });
  EXPECT_TRUE(steps.empty());  // nothing runs before someone waits or polls
  const double result = total.get();
  out.wait();

  EXPECT_EQ(result, 2 * (6.0 + prev_rank(w)));
  EXPECT_EQ(steps, (std::vector<std::string>{"sum", "double"}));
}

TEST(future, ready_polls_without_blocking_until_the_message_arrives) {
  const auto w = world();
  auto in = weft::recv_async<int>(w, 1, prev_rank(w), 23);
  // Every rank polls before anyone sends: nothing can have arrived yet.
  const bool early = in.ready();
  w.barrier();
  auto out = weft::send_async(w, std::vector<int>{42}, next_rank(w), 23);

  while (!in.ready()) {
  }

  EXPECT_FALSE(early);
  EXPECT_EQ(in.get(), std::vector<int>{42});
  out.wait();
}

TEST(future, when_all_keeps_the_input_order) {
  const auto w = world();
  std::vector<weft::future<std::vector<int>>> ins;
  std::vector<weft::future<void>> outs;
  for (int k = 0; k < 3; ++k) ins.push_back(weft::recv_async<int>(w, 1, prev_rank(w), 30 + k));
  // Sent in reverse order of the receives' tags.
  for (int k = 2; k >= 0; --k) {
    outs.push_back(weft::send_async(w, std::vector<int>{100 * k + w.rank()}, next_rank(w), 30 + k));
  }

  auto all = weft::when_all(std::move(ins));
  auto sent = weft::when_all(std::move(outs));
  const auto values = all.get();
  sent.get();

  ASSERT_EQ(values.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(values[static_cast<std::size_t>(k)], std::vector<int>{100 * k + prev_rank(w)});
  }
}

TEST(future, an_exception_in_a_continuation_reaches_get_and_skips_later_steps) {
  const auto w = world();
  bool later_ran = false;
  auto in = weft::recv_async<int>(w, 1, prev_rank(w), 24);
  auto out = weft::send_async(w, std::vector<int>{1}, next_rank(w), 24);

  auto f = std::move(in)
               .then([](std::vector<int>) -> int { throw std::runtime_error("unpack failed"); })
               .then([&](int) { later_ran = true; });
  out.wait();

  EXPECT_THROW(
      {
        try {
          f.get();
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "unpack failed");
          throw;
        }
      },
      std::runtime_error);
  EXPECT_FALSE(later_ran);
}

TEST(future, a_ready_future_continues_at_once) {
  auto f = weft::make_ready_future(20).then([](int x) { return x + 1; });
  EXPECT_TRUE(f.ready());
  EXPECT_EQ(f.get(), 21);
  auto v = weft::make_ready_future().then([] { return std::string("done"); });
  EXPECT_EQ(v.get(), "done");
}

TEST(future, using_a_future_after_get_throws) {
  auto f = weft::make_ready_future(1);
  (void)f.get();
  EXPECT_THROW((void)f.ready(), weft::error);
  weft::future<int> empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_THROW(empty.wait(), weft::error);
}

TEST(future, then_on_a_completed_future_keeps_its_value) {
  const auto w = world();
  auto in = weft::recv_async<int>(w, 1, prev_rank(w), 25);
  auto out = weft::send_async(w, std::vector<int>{5}, next_rank(w), 25);
  in.wait();
  out.wait();

  auto f = std::move(in).then([](std::vector<int> v) { return v.at(0) * 3; });

  EXPECT_TRUE(f.ready());
  EXPECT_EQ(f.get(), 15);
}

}  // namespace
