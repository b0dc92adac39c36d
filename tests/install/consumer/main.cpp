// Sums the ranks with weft's typed allreduce and prints the answer on rank 0.
#include <weft/weft.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  weft::environment env(argc, argv);
  return weft::environment::run([] {
    const auto world = weft::environment::world();
    const int sum = world.allreduce(world.rank() + 1, weft::op::sum);
    const int n = world.size();
    if (world.rank() == 0) std::printf("consumer: sum %d over %d ranks\n", sum, n);
    return sum == n * (n + 1) / 2 ? 0 : 1;
  });
}
