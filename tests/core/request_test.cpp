#include "weft/core/request.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "test_support.hpp"
#include "weft/core/comm.hpp"

using weft::testing::world;

namespace {

TEST(request, a_default_request_is_inactive_and_waits_trivially) {
  weft::request r;
  EXPECT_FALSE(r.active());
  EXPECT_NO_THROW(r.wait());
}

TEST(request, test_polls_until_the_message_arrives) {
  const auto w = world();
  const int next = (w.rank() + 1) % w.size();
  const int prev = (w.rank() + w.size() - 1) % w.size();
  int in = -1;
  const int out = w.rank();
  auto recv = w.irecv(std::span<int>(&in, 1), prev, 11);
  auto send = w.isend(std::span<const int>(&out, 1), next, 11);
  std::optional<weft::status> st;
  while (!(st = recv.test())) {
  }
  EXPECT_EQ(st->source, prev);
  EXPECT_EQ(in, prev);
  EXPECT_FALSE(recv.active());
  send.wait();
}

TEST(request, moving_a_request_transfers_the_operation) {
  const auto w = world();
  const int next = (w.rank() + 1) % w.size();
  const int prev = (w.rank() + w.size() - 1) % w.size();
  int in = -1;
  const int out = 5 + w.rank();
  weft::request a = w.irecv(std::span<int>(&in, 1), prev, 12);
  weft::request b = std::move(a);
  EXPECT_FALSE(a.active());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(b.active());
  w.send(out, next, 12);
  b.wait();
  EXPECT_EQ(in, 5 + prev);
}

TEST(request, an_unmatched_receive_is_cancelled_on_destruction_without_hanging) {
  const auto w = world();
  int in = -1;
  {
    // Nobody ever sends tag 99: the destructor must cancel rather than wait forever.
    auto r = w.irecv(std::span<int>(&in, 1), weft::any_source, 99);
    EXPECT_TRUE(r.active());
  }
  EXPECT_EQ(in, -1);
  w.barrier();
}

TEST(request, wait_all_and_wait_any_complete_every_request) {
  const auto w = world();
  const int n = w.size();
  std::vector<int> in(static_cast<std::size_t>(n), -1);
  const int out = w.rank();
  std::vector<weft::request> recvs;
  std::vector<weft::request> sends;
  for (int r = 0; r < n; ++r) recvs.push_back(w.irecv(std::span<int>(&in[r], 1), r, 13));
  for (int r = 0; r < n; ++r) sends.push_back(w.isend(std::span<const int>(&out, 1), r, 13));
  int completed = 0;
  while (auto idx = weft::wait_any(recvs)) {
    EXPECT_EQ(in[*idx], static_cast<int>(*idx));
    EXPECT_FALSE(recvs[*idx].active());
    ++completed;
  }
  EXPECT_EQ(completed, n);
  weft::wait_all(sends);
  for (const auto& s : sends) EXPECT_FALSE(s.active());
}

}  // namespace
