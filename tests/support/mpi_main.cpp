// GoogleTest main for MPI tests: initialises MPI, lets only rank 0 print, and fails a
// test on every rank when it failed on any rank (naming the ranks that failed).
#include <gtest/gtest.h>
#include <mpi.h>

#include <string>

#include "weft/core/environment.hpp"

namespace {

// After each test, agree on the outcome so rank 0 reports failures on other ranks.
class rank_agreement : public testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const testing::TestInfo& info) override {
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int failed = info.result()->Failed() ? 1 : 0;
    std::string failing;
    for (int r = 0; r < size; ++r) {
      int f = failed;
      MPI_Bcast(&f, 1, MPI_INT, r, MPI_COMM_WORLD);
      if (f) failing += (failing.empty() ? "" : ", ") + std::to_string(r);
    }
    if (!failing.empty() && rank == 0) {
      std::printf("[  RANKS   ] %s.%s failed on rank(s) %s\n", info.test_suite_name(), info.name(),
                  failing.c_str());
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  weft::environment env(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  auto& listeners = testing::UnitTest::GetInstance()->listeners();
  if (rank != 0) delete listeners.Release(listeners.default_result_printer());
  listeners.Append(new rank_agreement);
  const int local = RUN_ALL_TESTS();
  int global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return global;
}
