#include "weft/core/aligned.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

namespace {

bool on_cache_line(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % weft::cache_line_bytes == 0;
}

TEST(aligned_vector, data_starts_on_a_cache_line_at_every_size_and_after_growth) {
  // Large blocks come from mmap, where malloc's would start 16 bytes past the page.
  for (const std::size_t n : {1UL, 3UL, 100UL, 4097UL, 1UL << 20, (1UL << 21) + 5}) {
    weft::aligned_vector<double> v(n, 1.5);
    EXPECT_TRUE(on_cache_line(v.data())) << n;
    v.resize(2 * n + 1);
    EXPECT_TRUE(on_cache_line(v.data())) << n;
    EXPECT_EQ(v[n - 1], 1.5);
    EXPECT_EQ(v[2 * n], 0.0);
  }
  weft::aligned_vector<std::uint8_t> bytes(12345);
  EXPECT_TRUE(on_cache_line(bytes.data()));
}

TEST(aligned_array, new_aligned_array_starts_on_a_cache_line) {
  const std::unique_ptr<float[], weft::aligned_array_delete<float>> a(
      weft::new_aligned_array<float>(3000000));
  EXPECT_TRUE(on_cache_line(a.get()));
}

}  // namespace
