// counter_rng: a counter-based random number generator (Philox4x32-10, Salmon et al., SC'11).
//
// A value is a pure function of (seed, stream, index): nothing is carried from one draw to
// the next, so value number i is the same whichever rank or thread asks for it, in any
// order. Keying by a dataset's global element index therefore gives the same data for any
// rank count, and independent streams (one per task, per rank, per purpose) never overlap.
//
// Two ways to use it:
//   counter_rng::uniform(seed, i)       keyed access, e.g. element i of a generated array;
//   counter_rng g(seed, stream); g.uniform(), g.normal(), g()
//                                       a stream object that walks index 0, 1, 2, ...
// counter_rng satisfies std::uniform_random_bit_generator (64-bit results).
// Cost: one Philox block (10 rounds of two 32x32->64 multiplies) per value; no
// communication, no shared state, safe to call from any number of threads.
// counter_rng::draw_blocks computes many consecutive blocks at once, 32 at a time in
// AVX-512 registers or 16 in AVX2 where the CPU has them (1.5-3.4x the scalar rate), with the
// same bits; counter_rng::draw_uniforms turns them into uniforms in the registers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace weft::par {

class counter_rng {
 public:
  using result_type = std::uint64_t;
  using block = std::array<std::uint32_t, 4>;
  using key = std::array<std::uint32_t, 2>;

  explicit counter_rng(std::uint64_t seed, std::uint64_t stream = 0,
                       std::uint64_t position = 0) noexcept
      : seed_(seed), stream_(stream), position_(position) {}

  // The Philox4x32-10 bijection of a 128-bit counter under a 64-bit key.
  [[nodiscard]] static constexpr block philox(block counter, key k) noexcept {
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        k[0] += 0x9E3779B9u;
        k[1] += 0xBB67AE85u;
      }
      const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * counter[0];
      const std::uint64_t p1 = std::uint64_t{0xCD9E8D57u} * counter[2];
      counter = {
          static_cast<std::uint32_t>(p1 >> 32) ^ counter[1] ^ k[0], static_cast<std::uint32_t>(p1),
          static_cast<std::uint32_t>(p0 >> 32) ^ counter[3] ^ k[1], static_cast<std::uint32_t>(p0)};
    }
    return counter;
  }

  // The 128 random bits of value `index` in `stream` under `seed`.
  [[nodiscard]] static constexpr block draw(std::uint64_t seed, std::uint64_t index,
                                            std::uint64_t stream = 0) noexcept {
    return philox({static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32),
                   static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
                  {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
  }
  // The blocks of indices first, first + 1, ..., first + count - 1 (same bits as draw),
  // as four word arrays: words[w][i] is word w of block first + i.
  static void draw_blocks(std::uint64_t seed, std::uint64_t first, std::size_t count,
                          std::uint64_t stream,
                          const std::array<std::uint32_t*, 4>& words) noexcept;
  // The two uniforms of each of those blocks: u[0][i] is uniform(seed, first + i, stream),
  // from the block's words 0 and 1, and u[1][i] the same from its words 2 and 3.
  static void draw_uniforms(std::uint64_t seed, std::uint64_t first, std::size_t count,
                            std::uint64_t stream, const std::array<double*, 2>& u) noexcept;
  // The 64 bits of two words of a block, the high one on top.
  [[nodiscard]] static constexpr std::uint64_t join(std::uint32_t low,
                                                    std::uint32_t high) noexcept {
    return (std::uint64_t{high} << 32) | low;
  }
  // The uniform on [0, 1) that 64 bits make: their top 53 bits times 2^-53.
  [[nodiscard]] static constexpr double to_uniform(std::uint64_t bits) noexcept {
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
  }
  // 64 uniformly distributed bits: words 0 and 1 of the block.
  [[nodiscard]] static constexpr std::uint64_t bits(std::uint64_t seed, std::uint64_t index,
                                                    std::uint64_t stream = 0) noexcept {
    const block b = draw(seed, index, stream);
    return join(b[0], b[1]);
  }
  // Uniform on [0, 1), a multiple of 2^-53.
  [[nodiscard]] static constexpr double uniform(std::uint64_t seed, std::uint64_t index,
                                                std::uint64_t stream = 0) noexcept {
    return to_uniform(bits(seed, index, stream));
  }
  // Standard normal (mean 0, variance 1), by Box-Muller from one 128-bit block.
  [[nodiscard]] static double normal(std::uint64_t seed, std::uint64_t index,
                                     std::uint64_t stream = 0) noexcept;

  // --- stream object: walks index position(), position()+1, ... -------------------
  [[nodiscard]] static constexpr result_type min() noexcept { return 0; }
  [[nodiscard]] static constexpr result_type max() noexcept {
    return std::numeric_limits<result_type>::max();
  }
  result_type operator()() noexcept { return bits(seed_, position_++, stream_); }
  double uniform() noexcept { return uniform(seed_, position_++, stream_); }
  double normal() noexcept { return normal(seed_, position_++, stream_); }
  void discard(std::uint64_t n) noexcept { position_ += n; }

  [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }
  [[nodiscard]] std::uint64_t stream() const noexcept { return stream_; }
  [[nodiscard]] std::uint64_t position() const noexcept { return position_; }

 private:
  std::uint64_t seed_;
  std::uint64_t stream_;
  std::uint64_t position_;
};

namespace detail {
// draw_blocks' and draw_uniforms' implementations, for the tests: the portable ones, the
// AVX2 ones (only callable when avx2_available()) and the AVX-512 ones (only when
// avx512_available(), which implies AVX2, used for their tails).
void draw_blocks_portable(std::uint64_t seed, std::uint64_t first, std::size_t count,
                          std::uint64_t stream,
                          const std::array<std::uint32_t*, 4>& words) noexcept;
void draw_blocks_avx2(std::uint64_t seed, std::uint64_t first, std::size_t count,
                      std::uint64_t stream, const std::array<std::uint32_t*, 4>& words) noexcept;
void draw_blocks_avx512(std::uint64_t seed, std::uint64_t first, std::size_t count,
                        std::uint64_t stream, const std::array<std::uint32_t*, 4>& words) noexcept;
void draw_uniforms_portable(std::uint64_t seed, std::uint64_t first, std::size_t count,
                            std::uint64_t stream, const std::array<double*, 2>& u) noexcept;
void draw_uniforms_avx2(std::uint64_t seed, std::uint64_t first, std::size_t count,
                        std::uint64_t stream, const std::array<double*, 2>& u) noexcept;
void draw_uniforms_avx512(std::uint64_t seed, std::uint64_t first, std::size_t count,
                          std::uint64_t stream, const std::array<double*, 2>& u) noexcept;
bool avx2_available() noexcept;
bool avx512_available() noexcept;
}  // namespace detail

}  // namespace weft::par
