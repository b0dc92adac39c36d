#include "weft/core/comm.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "test_support.hpp"

using weft::op;
using weft::testing::world;

namespace {

struct particle {
  double x, y;
  int id;
  char tag;
};

// On one node every rank is in one node communicator; on the local cluster (2 nodes) the
// halves are checked against the host names the ranks report.
TEST(comm, split_nodes_gives_each_node_its_ranks_and_one_leader_per_node) {
  const auto w = world();
  const auto s = weft::split_nodes(w);
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  // Ranks on the same host are the node communicator, and nothing else.
  std::vector<std::string> hosts;
  for (int r = 0; r < w.size(); ++r) {
    std::string h(host);
    w.bcast(h, r);
    hosts.push_back(h);
  }
  const int same_host = static_cast<int>(std::count(hosts.begin(), hosts.end(), hosts[w.rank()]));
  EXPECT_EQ(s.node.size(), same_host);
  std::vector<std::string> distinct = hosts;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  EXPECT_EQ(s.nodes, static_cast<int>(distinct.size()));
  // The leader is the lowest rank on the host, and only leaders hold `leaders`.
  const int lowest =
      static_cast<int>(std::find(hosts.begin(), hosts.end(), hosts[w.rank()]) - hosts.begin());
  EXPECT_EQ(s.node.rank() == 0, w.rank() == lowest);
  EXPECT_EQ(s.leaders.valid(), w.rank() == lowest);
  if (s.leaders.valid()) {
    EXPECT_EQ(s.leaders.size(), s.nodes);
    EXPECT_EQ(s.leaders.rank(), s.node_index);
  }
  // Leaders number nodes by rank order: the node index counts the distinct hosts of lower
  // leaders.
  int index = 0;
  for (int r = 0; r < lowest; ++r) {
    if (std::find(hosts.begin(), hosts.begin() + r, hosts[r]) == hosts.begin() + r) ++index;
  }
  EXPECT_EQ(s.node_index, index);
  // A sum over the node, then over leaders, is the world's sum.
  const int node_sum = s.node.allreduce(w.rank(), op::sum);
  int total = 0;
  if (s.leaders.valid()) total = s.leaders.allreduce(node_sum, op::sum);
  s.node.bcast(total, 0);
  EXPECT_EQ(total, w.size() * (w.size() - 1) / 2);
}

TEST(comm, rank_and_size_match_mpi) {
  int r = -1, s = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  EXPECT_EQ(world().rank(), r);
  EXPECT_EQ(world().size(), s);
}

TEST(comm, send_and_recv_move_a_ring_of_values) {
  const auto w = world();
  const int next = (w.rank() + 1) % w.size();
  const int prev = (w.rank() + w.size() - 1) % w.size();
  std::vector<double> out(5), in(5, -1);
  std::iota(out.begin(), out.end(), 10.0 * w.rank());
  auto req = w.irecv(std::span<double>(in), prev, 7);
  w.send(std::span<const double>(out), next, 7);
  const auto st = req.wait();
  EXPECT_EQ(st.source, prev);
  EXPECT_EQ(st.bytes, 5 * sizeof(double));
  EXPECT_EQ(in[0], 10.0 * prev);
  EXPECT_EQ(in[4], 10.0 * prev + 4);
}

TEST(comm, a_trivially_copyable_struct_travels_intact) {
  const auto w = world();
  particle p{1.5 * w.rank(), -2.0, w.rank(), 'q'};
  const auto all = w.allgather(p);
  ASSERT_EQ(static_cast<int>(all.size()), w.size());
  for (int r = 0; r < w.size(); ++r) {
    EXPECT_EQ(all[r].x, 1.5 * r);
    EXPECT_EQ(all[r].id, r);
    EXPECT_EQ(all[r].tag, 'q');
  }
  const int next = (w.rank() + 1) % w.size();
  const int prev = (w.rank() + w.size() - 1) % w.size();
  particle got{};
  w.sendrecv(std::span<const particle>(&p, 1), next, 3, std::span<particle>(&got, 1), prev, 3);
  EXPECT_EQ(got.id, prev);
}

TEST(comm, recv_vector_learns_the_length_from_the_message) {
  const auto w = world();
  if (w.size() < 2) GTEST_SKIP() << "needs two ranks";
  if (w.rank() == 0) {
    std::vector<int> data(17);
    std::iota(data.begin(), data.end(), 0);
    w.send(std::span<const int>(data), 1, 4);
  } else if (w.rank() == 1) {
    const auto got = w.recv_vector<int>(0, 4);
    ASSERT_EQ(got.size(), 17u);
    EXPECT_EQ(got[16], 16);
  }
}

TEST(comm, bcast_delivers_values_strings_and_vectors) {
  const auto w = world();
  int v = w.rank() == 0 ? 42 : 0;
  std::string s = w.rank() == 0 ? "hello ranks" : "";
  std::vector<double> vec;
  if (w.rank() == 0) vec = {1, 2, 3};
  w.bcast(v);
  w.bcast(s);
  w.bcast(vec);
  EXPECT_EQ(v, 42);
  EXPECT_EQ(s, "hello ranks");
  EXPECT_THAT(vec, testing::ElementsAre(1, 2, 3));
}

TEST(comm, reductions_combine_every_rank) {
  const auto w = world();
  const int n = w.size();
  EXPECT_EQ(w.allreduce(w.rank() + 1, op::sum), n * (n + 1) / 2);
  EXPECT_EQ(w.allreduce(w.rank(), op::max), n - 1);
  EXPECT_EQ(w.allreduce(w.rank(), op::min), 0);
  std::vector<long long> v{1, w.rank(), 3};
  w.allreduce(std::span<long long>(v), op::sum);
  EXPECT_EQ(v[0], n);
  EXPECT_EQ(v[1], static_cast<long long>(n) * (n - 1) / 2);
  const double r = w.reduce(2.0, op::prod, 0);
  if (w.rank() == 0) {
    EXPECT_EQ(r, std::pow(2.0, n));
  }
}

TEST(comm, gatherv_and_allgatherv_handle_uneven_and_empty_pieces) {
  const auto w = world();
  // Rank r contributes r elements (rank 0 contributes none).
  std::vector<int> mine(static_cast<std::size_t>(w.rank()), w.rank());
  const auto all = w.allgatherv(std::span<const int>(mine));
  const auto root = w.gatherv(std::span<const int>(mine), 0);
  std::vector<int> expected;
  for (int r = 0; r < w.size(); ++r)
    expected.insert(expected.end(), static_cast<std::size_t>(r), r);
  EXPECT_EQ(all, expected);
  if (w.rank() == 0) {
    EXPECT_EQ(root, expected);
  } else {
    EXPECT_TRUE(root.empty());
  }
}

TEST(comm, scatter_and_scatterv_hand_each_rank_its_piece) {
  const auto w = world();
  std::vector<int> data;
  std::vector<int> counts;
  if (w.rank() == 0) {
    for (int r = 0; r < w.size(); ++r) {
      counts.push_back(r + 1);
      data.insert(data.end(), static_cast<std::size_t>(r + 1), 100 + r);
    }
  }
  const auto piece = w.scatterv(std::span<const int>(data), std::span<const int>(counts), 0);
  EXPECT_EQ(piece.size(), static_cast<std::size_t>(w.rank() + 1));
  for (int x : piece) EXPECT_EQ(x, 100 + w.rank());

  std::vector<double> even;
  if (w.rank() == 0) {
    for (int r = 0; r < w.size(); ++r) even.insert(even.end(), {r * 1.0, r * 2.0});
  }
  const auto two = w.scatter(std::span<const double>(even), 2, 0);
  EXPECT_THAT(two, testing::ElementsAre(w.rank() * 1.0, w.rank() * 2.0));
}

TEST(comm, alltoall_and_alltoallv_exchange_personalised_data) {
  const auto w = world();
  const int n = w.size();
  std::vector<int> out(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) out[r] = 1000 * w.rank() + r;
  const auto in = w.alltoall(std::span<const int>(out), 1);
  for (int r = 0; r < n; ++r) EXPECT_EQ(in[r], 1000 * r + w.rank());

  // Rank s sends (s + d) % 3 copies of s to rank d: some counts are zero.
  std::vector<int> counts(static_cast<std::size_t>(n));
  std::vector<int> data;
  for (int d = 0; d < n; ++d) {
    counts[d] = (w.rank() + d) % 3;
    data.insert(data.end(), static_cast<std::size_t>(counts[d]), w.rank());
  }
  std::vector<int> recv_counts;
  const auto got =
      w.alltoallv(std::span<const int>(data), std::span<const int>(counts), &recv_counts);
  std::vector<int> expected;
  for (int s = 0; s < n; ++s) {
    EXPECT_EQ(recv_counts[s], (s + w.rank()) % 3);
    expected.insert(expected.end(), static_cast<std::size_t>((s + w.rank()) % 3), s);
  }
  EXPECT_EQ(got, expected);
}

TEST(comm, split_groups_ranks_by_color_and_orders_by_key) {
  const auto w = world();
  const weft::comm half = w.split(w.rank() % 2, -w.rank());
  ASSERT_TRUE(half.valid());
  const int same_color = (w.size() - w.rank() % 2 + 1) / 2;
  EXPECT_EQ(half.size(), same_color);
  // Keys are negated ranks, so the highest world rank comes first.
  const int highest = half.allreduce(w.rank(), op::max);
  EXPECT_EQ(half.rank() == 0, w.rank() == highest);

  const weft::comm none = w.split(w.rank() == 0 ? -1 : 0, 0);
  EXPECT_EQ(none.valid(), w.rank() != 0);
}

TEST(comm, dup_gives_an_independent_communicator_and_move_keeps_it) {
  const auto w = world();
  weft::comm d = w.dup();
  ASSERT_TRUE(d.valid());
  int cmp = MPI_UNEQUAL;
  MPI_Comm_compare(d.native_handle(), MPI_COMM_WORLD, &cmp);
  EXPECT_EQ(cmp, MPI_CONGRUENT);
  weft::comm moved = std::move(d);
  EXPECT_FALSE(d.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(moved.allreduce(1, op::sum), w.size());
}

TEST(comm, an_mpi_failure_becomes_an_exception_with_mpis_message) {
  const auto w = world();
  int v = 1;
  // Rank size() does not exist: MPI_ERR_RANK, returned because of MPI_ERRORS_RETURN.
  try {
    w.send(v, w.size(), 0);
    FAIL() << "expected weft::mpi_error";
  } catch (const weft::mpi_error& e) {
    EXPECT_THAT(e.call(), testing::HasSubstr("MPI_Send"));
    EXPECT_THAT(e.site(), testing::HasSubstr("comm.hpp:"));  // file:line of the call
    EXPECT_THAT(e.what(), testing::Not(testing::HasSubstr("MPI_Send")));
    EXPECT_THAT(e.what(), testing::HasSubstr("rank"));
    EXPECT_NE(e.mpi_code(), MPI_SUCCESS);
  }
}

TEST(comm, agree_reports_the_lowest_failing_rank_to_everyone) {
  const auto w = world();
  const auto all_ok = weft::agree(w, true, "unused");
  EXPECT_TRUE(all_ok.ok);
  const int bad = w.size() - 1;
  const auto a = weft::agree(w, w.rank() != bad, "rank-specific trouble");
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.failed_rank, bad);
  EXPECT_EQ(a.message, "rank-specific trouble");
  try {
    weft::agree_or_throw<weft::input_error>(w, w.rank() != bad, "bad file");
    FAIL() << "expected weft::input_error";
  } catch (const weft::input_error& e) {
    EXPECT_TRUE(e.collective());
    EXPECT_EQ(e.code(), weft::exit_code::bad_input);
    EXPECT_THAT(e.what(), testing::HasSubstr("bad file"));
  }
}

}  // namespace
