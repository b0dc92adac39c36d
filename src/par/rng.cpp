#include "weft/par/rng.hpp"

#include <immintrin.h>

#include <cmath>
#include <numbers>

namespace weft::par {

double counter_rng::normal(std::uint64_t seed, std::uint64_t index, std::uint64_t stream) noexcept {
  const block b = draw(seed, index, stream);
  const std::uint64_t first = (std::uint64_t{b[1]} << 32) | b[0];
  const std::uint64_t second = (std::uint64_t{b[3]} << 32) | b[2];
  // u1 on (0, 1] so that log(u1) is finite; u2 on [0, 1).
  const double u1 = static_cast<double>((first >> 11) + 1) * 0x1.0p-53;
  const double u2 = static_cast<double>(second >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

void counter_rng::draw_blocks(std::uint64_t seed, std::uint64_t first, std::size_t count,
                              std::uint64_t stream,
                              const std::array<std::uint32_t*, 4>& words) noexcept {
  static const bool avx512 = detail::avx512_available();
  static const bool avx2 = detail::avx2_available();
  if (avx512) {
    detail::draw_blocks_avx512(seed, first, count, stream, words);
  } else if (avx2) {
    detail::draw_blocks_avx2(seed, first, count, stream, words);
  } else {
    detail::draw_blocks_portable(seed, first, count, stream, words);
  }
}

namespace detail {

bool avx2_available() noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx2") != 0;
#else
  return false;
#endif
}

bool avx512_available() noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx512f") != 0;
#else
  return false;
#endif
}

void draw_blocks_portable(std::uint64_t seed, std::uint64_t first, std::size_t count,
                          std::uint64_t stream,
                          const std::array<std::uint32_t*, 4>& words) noexcept {
  for (std::size_t i = 0; i < count; ++i) {
    const counter_rng::block b = counter_rng::draw(seed, first + i, stream);
    for (std::size_t w = 0; w < 4; ++w) words[w][i] = b[w];
  }
}

#if defined(__x86_64__) && defined(__GNUC__)

namespace {

// Eight Philox lanes in four registers of 32-bit words: c[w] holds word w of 8 blocks.
struct lanes8 {
  __m256i c[4];
};

// The high and low 32 bits of m * x for each of the 8 words of x.
[[gnu::target("avx2"), gnu::always_inline]] inline void mul_hi_lo(__m256i m, __m256i x, __m256i& hi,
                                                                  __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(m, x);                        // words 0, 2, 4, 6
  const __m256i odd = _mm256_mul_epu32(m, _mm256_srli_epi64(x, 32));  // words 1, 3, 5, 7
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

// Ten Philox4x32 rounds on two independent groups of 8 blocks (two groups keep the
// multiplier busy while one group waits on its products).
[[gnu::target("avx2"), gnu::always_inline]] inline void rounds(lanes8& a, lanes8& b,
                                                               std::uint32_t k0, std::uint32_t k1) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const __m256i key0 = _mm256_set1_epi32(static_cast<int>(k0));
    const __m256i key1 = _mm256_set1_epi32(static_cast<int>(k1));
    for (lanes8* l : {&a, &b}) {
      __m256i hi0, lo0, hi1, lo1;
      mul_hi_lo(m0, l->c[0], hi0, lo0);
      mul_hi_lo(m1, l->c[2], hi1, lo1);
      const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, l->c[1]), key0);
      const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, l->c[3]), key1);
      l->c[0] = n0;
      l->c[1] = lo1;
      l->c[2] = n2;
      l->c[3] = lo0;
    }
  }
}

// Sixteen lanes: c[w] holds word w of 16 blocks.
struct lanes16 {
  __m512i c[4];
};

[[gnu::target("avx512f"), gnu::always_inline]] inline void mul_hi_lo(__m512i m, __m512i x,
                                                                     __m512i& hi, __m512i& lo) {
  // The zero-masked forms with every lane selected are the plain instructions; GCC 12's
  // plain intrinsics pass an undefined operand that -Wmaybe-uninitialized reports.
  constexpr __mmask8 all = 0xFF;
  const __m512i even = _mm512_maskz_mul_epu32(all, m, x);
  const __m512i odd = _mm512_maskz_mul_epu32(all, m, _mm512_maskz_srli_epi64(all, x, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_maskz_srli_epi64(all, even, 32), odd);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_maskz_slli_epi64(all, odd, 32));
}

// The rounds of rounds() above on two groups of 16 blocks; each three-way xor is one
// instruction (vpternlogd, truth table 0x96).
[[gnu::target("avx512f"), gnu::always_inline]] inline void rounds(lanes16& a, lanes16& b,
                                                                  std::uint32_t k0,
                                                                  std::uint32_t k1) {
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const __m512i key0 = _mm512_set1_epi32(static_cast<int>(k0));
    const __m512i key1 = _mm512_set1_epi32(static_cast<int>(k1));
    for (lanes16* l : {&a, &b}) {
      __m512i hi0, lo0, hi1, lo1;
      mul_hi_lo(m0, l->c[0], hi0, lo0);
      mul_hi_lo(m1, l->c[2], hi1, lo1);
      const __m512i n0 = _mm512_ternarylogic_epi32(hi1, l->c[1], key0, 0x96);
      const __m512i n2 = _mm512_ternarylogic_epi32(hi0, l->c[3], key1, 0x96);
      l->c[0] = n0;
      l->c[1] = lo1;
      l->c[2] = n2;
      l->c[3] = lo0;
    }
  }
}

}  // namespace

[[gnu::target("avx512f")]] void draw_blocks_avx512(
    std::uint64_t seed, std::uint64_t first, std::size_t count, std::uint64_t stream,
    const std::array<std::uint32_t*, 4>& words) noexcept {
  const auto k0 = static_cast<std::uint32_t>(seed);
  const auto k1 = static_cast<std::uint32_t>(seed >> 32);
  const __m512i step = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i s0 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(stream)));
  const __m512i s1 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(stream >> 32)));
  std::size_t i = 0;
  for (; i + 32 <= count; i += 32) {
    const std::uint64_t index = first + i;
    const auto lo = static_cast<std::uint32_t>(index);
    if (lo > 0xFFFFFFFFu - 31u) {
      // The low word wraps inside this group (its high word differs between lanes).
      draw_blocks_portable(seed, index, 32, stream,
                           {words[0] + i, words[1] + i, words[2] + i, words[3] + i});
      continue;
    }
    const __m512i hi = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(index >> 32)));
    lanes16 a{{_mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(lo)), step), hi, s0, s1}};
    lanes16 b{{_mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(lo + 16)), step), hi, s0, s1}};
    rounds(a, b, k0, k1);
    for (std::size_t w = 0; w < 4; ++w) {
      _mm512_storeu_si512(words[w] + i, a.c[w]);
      _mm512_storeu_si512(words[w] + i + 16, b.c[w]);
    }
  }
  if (i < count) {
    draw_blocks_avx2(seed, first + i, count - i, stream,
                     {words[0] + i, words[1] + i, words[2] + i, words[3] + i});
  }
}

[[gnu::target("avx2")]] void draw_blocks_avx2(std::uint64_t seed, std::uint64_t first,
                                              std::size_t count, std::uint64_t stream,
                                              const std::array<std::uint32_t*, 4>& words) noexcept {
  const auto k0 = static_cast<std::uint32_t>(seed);
  const auto k1 = static_cast<std::uint32_t>(seed >> 32);
  const __m256i step = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i s0 = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(stream)));
  const __m256i s1 = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(stream >> 32)));
  std::size_t i = 0;
  for (; i + 16 <= count; i += 16) {
    const std::uint64_t index = first + i;
    const auto lo = static_cast<std::uint32_t>(index);
    if (lo > 0xFFFFFFFFu - 15u) {
      // The low word wraps inside this group (its high word differs between lanes).
      draw_blocks_portable(seed, index, 16, stream,
                           {words[0] + i, words[1] + i, words[2] + i, words[3] + i});
      continue;
    }
    const __m256i hi = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(index >> 32)));
    lanes8 a{{_mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(lo)), step), hi, s0, s1}};
    lanes8 b{{_mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(lo + 8)), step), hi, s0, s1}};
    rounds(a, b, k0, k1);
    for (std::size_t w = 0; w < 4; ++w) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[w] + i), a.c[w]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[w] + i + 8), b.c[w]);
    }
  }
  if (i < count) {
    draw_blocks_portable(seed, first + i, count - i, stream,
                         {words[0] + i, words[1] + i, words[2] + i, words[3] + i});
  }
}

#else

void draw_blocks_avx2(std::uint64_t seed, std::uint64_t first, std::size_t count,
                      std::uint64_t stream, const std::array<std::uint32_t*, 4>& words) noexcept {
  draw_blocks_portable(seed, first, count, stream, words);
}

void draw_blocks_avx512(std::uint64_t seed, std::uint64_t first, std::size_t count,
                        std::uint64_t stream, const std::array<std::uint32_t*, 4>& words) noexcept {
  draw_blocks_portable(seed, first, count, stream, words);
}

#endif

}  // namespace detail

}  // namespace weft::par
