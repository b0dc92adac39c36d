// Declarations of the kernels' parameters that the command acts on before a kernel runs:
// `weft run` starts the metadata probe of every parameter declared `input`, so each
// FILE:/path a kernel reads must be one, and no path it writes may be.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "kernel.hpp"

namespace {

TEST(kernel_params, the_files_a_kernel_reads_are_inputs_and_the_files_it_writes_are_not) {
  const std::set<std::string> reads = {"input", "matrix", "a", "b"};
  const std::set<std::string> writes = {"output", "c", "checkpoint"};
  int inputs = 0;
  for (const auto& k : weft::kernels::registry()) {
    for (const auto& p : k.params) {
      if (reads.contains(p.name)) {
        EXPECT_TRUE(p.input) << k.name << " --" << p.name << " is read but not declared input";
      }
      if (writes.contains(p.name)) {
        EXPECT_FALSE(p.input) << k.name << " --" << p.name << " is written but declared input";
      }
      if (p.input) {
        EXPECT_EQ(p.type, weft::param_type::text) << k.name << " --" << p.name;
        ++inputs;
      }
    }
  }
  // reduce, histogram, heat, sort (--input), spmv (--matrix), dgemm (--a, --b).
  EXPECT_GE(inputs, 7);
}

}  // namespace
