#include "weft/par/rng.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include <cmath>
#include <initializer_list>
#include <numbers>

namespace weft::par {

double counter_rng::normal(std::uint64_t seed, std::uint64_t index, std::uint64_t stream) noexcept {
  const block b = draw(seed, index, stream);
  // u1 on (0, 1] so that log(u1) is finite; u2 on [0, 1).
  const double u1 = to_uniform(join(b[0], b[1])) + 0x1.0p-53;
  const double u2 = to_uniform(join(b[2], b[3]));
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

void counter_rng::draw_uniforms(std::uint64_t seed, std::uint64_t first, std::size_t count,
                                std::uint64_t stream, const std::array<double*, 2>& u) noexcept {
  static const bool avx512 = detail::avx512_available();
  static const bool avx2 = detail::avx2_available();
  if (avx512) {
    detail::draw_uniforms_avx512(seed, first, count, stream, u);
  } else if (avx2) {
    detail::draw_uniforms_avx2(seed, first, count, stream, u);
  } else {
    detail::draw_uniforms_portable(seed, first, count, stream, u);
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

void draw_uniforms_portable(std::uint64_t seed, std::uint64_t first, std::size_t count,
                            std::uint64_t stream, const std::array<double*, 2>& u) noexcept {
  for (std::size_t i = 0; i < count; ++i) {
    const counter_rng::block b = counter_rng::draw(seed, first + i, stream);
    u[0][i] = counter_rng::to_uniform(counter_rng::join(b[0], b[1]));
    u[1][i] = counter_rng::to_uniform(counter_rng::join(b[2], b[3]));
  }
}

}  // namespace detail

#if defined(__x86_64__) && defined(__GNUC__)

// Each instruction set's primitives, followed by the loop they share (philox_groups.inc),
// compiled for that instruction set only: the functions are selected at run time.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
namespace avx2_isa {
namespace {

using vec = __m256i;
constexpr std::size_t width = 8;

inline vec set1(std::uint32_t x) {
  return _mm256_set1_epi32(static_cast<int>(x));
}
inline vec add(vec a, vec b) {
  return _mm256_add_epi32(a, b);
}
inline vec iota() {
  return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
}
inline vec xor3(vec a, vec b, vec c) {
  return _mm256_xor_si256(_mm256_xor_si256(a, b), c);
}

inline void mul_hi_lo(vec m, vec x, vec& hi, vec& lo) {
  const vec even = _mm256_mul_epu32(m, x);                        // words 0, 2, 4, 6
  const vec odd = _mm256_mul_epu32(m, _mm256_srli_epi64(x, 32));  // words 1, 3, 5, 7
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

inline void store_words(std::uint32_t* p, vec v) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
}

// Four 32-bit words to doubles, exactly: x86 has no vector uint32 -> double before
// AVX-512, so the words go into the mantissa of 2^52 and 2^52 is taken off.
inline __m256d to_doubles(__m128i x) {
  const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);
  return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_cvtepu32_epi64(x), magic)),
                       _mm256_castsi256_pd(magic));
}

// hi * 2^-32 + (lo >> 11) * 2^-53 for four lanes: both terms and their sum are exact, so
// this is ((hi << 32 | lo) >> 11) * 2^-53, counter_rng::uniform's value.
inline __m256d to_unit(__m128i hi, __m128i low) {
  return _mm256_add_pd(_mm256_mul_pd(to_doubles(hi), _mm256_set1_pd(0x1.0p-32)),
                       _mm256_mul_pd(to_doubles(low), _mm256_set1_pd(0x1.0p-53)));
}

inline void store_uniforms(double* p, vec hi, vec lo) {
  const vec low = _mm256_srli_epi32(lo, 11);
  _mm256_storeu_pd(p, to_unit(_mm256_castsi256_si128(hi), _mm256_castsi256_si128(low)));
  _mm256_storeu_pd(p + 4,
                   to_unit(_mm256_extracti128_si256(hi, 1), _mm256_extracti128_si256(low, 1)));
}

constexpr auto* draw_words_rest = &detail::draw_blocks_portable;
constexpr auto* draw_uniforms_rest = &detail::draw_uniforms_portable;

#include "philox_groups.inc"

}  // namespace
}  // namespace avx2_isa
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif
namespace avx512_isa {
namespace {

// The zero-masked forms below, with every lane selected, are the plain instructions; GCC
// 12's plain intrinsics pass an undefined operand that -Wmaybe-uninitialized reports.
using vec = __m512i;
constexpr std::size_t width = 16;
constexpr __mmask8 all8 = 0xFF;
constexpr __mmask16 all16 = 0xFFFF;

inline vec set1(std::uint32_t x) {
  return _mm512_set1_epi32(static_cast<int>(x));
}
inline vec add(vec a, vec b) {
  return _mm512_add_epi32(a, b);
}
inline vec iota() {
  return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}
// One instruction (vpternlogd with the truth table of a three-way xor).
inline vec xor3(vec a, vec b, vec c) {
  return _mm512_ternarylogic_epi32(a, b, c, 0x96);
}

// The products of the even and the odd words; each result word is then taken from its
// product's half with one masked shuffle (swap the words of each pair where the mask
// says) instead of a shift and a blend.
inline void mul_hi_lo(vec m, vec x, vec& hi, vec& lo) {
  const vec even = _mm512_maskz_mul_epu32(all8, m, x);
  const vec odd = _mm512_maskz_mul_epu32(all8, m, _mm512_maskz_srli_epi64(all8, x, 32));
  hi = _mm512_mask_shuffle_epi32(odd, 0x5555, even, _MM_PERM_CDAB);
  lo = _mm512_mask_shuffle_epi32(even, 0xAAAA, odd, _MM_PERM_CDAB);
}

inline void store_words(std::uint32_t* p, vec v) {
  _mm512_storeu_si512(p, v);
}

// As avx2_isa::to_unit for eight lanes, with AVX-512's own uint32 -> double conversion.
inline __m512d to_unit(__m256i hi, __m256i low) {
  return _mm512_add_pd(
      _mm512_mul_pd(_mm512_maskz_cvtepu32_pd(all8, hi), _mm512_set1_pd(0x1.0p-32)),
      _mm512_mul_pd(_mm512_maskz_cvtepu32_pd(all8, low), _mm512_set1_pd(0x1.0p-53)));
}

inline void store_uniforms(double* p, vec hi, vec lo) {
  const vec low = _mm512_maskz_srli_epi32(all16, lo, 11);
  _mm512_storeu_pd(p, to_unit(_mm512_maskz_extracti64x4_epi64(all8, hi, 0),
                              _mm512_maskz_extracti64x4_epi64(all8, low, 0)));
  _mm512_storeu_pd(p + 8, to_unit(_mm512_maskz_extracti64x4_epi64(all8, hi, 1),
                                  _mm512_maskz_extracti64x4_epi64(all8, low, 1)));
}

constexpr auto* draw_words_rest = &detail::draw_blocks_avx2;
constexpr auto* draw_uniforms_rest = &detail::draw_uniforms_avx2;

#include "philox_groups.inc"

}  // namespace
}  // namespace avx512_isa
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else

// Elsewhere the instruction-set entry points are the portable loops (never selected:
// avx2_available() and avx512_available() say false).
namespace avx2_isa {
constexpr auto* draw_words = &detail::draw_blocks_portable;
constexpr auto* draw_uniforms = &detail::draw_uniforms_portable;
}  // namespace avx2_isa
namespace avx512_isa {
constexpr auto* draw_words = &detail::draw_blocks_portable;
constexpr auto* draw_uniforms = &detail::draw_uniforms_portable;
}  // namespace avx512_isa

#endif

namespace detail {

void draw_blocks_avx2(std::uint64_t seed, std::uint64_t first, std::size_t count,
                      std::uint64_t stream, const std::array<std::uint32_t*, 4>& words) noexcept {
  avx2_isa::draw_words(seed, first, count, stream, words);
}
void draw_uniforms_avx2(std::uint64_t seed, std::uint64_t first, std::size_t count,
                        std::uint64_t stream, const std::array<double*, 2>& u) noexcept {
  avx2_isa::draw_uniforms(seed, first, count, stream, u);
}
void draw_blocks_avx512(std::uint64_t seed, std::uint64_t first, std::size_t count,
                        std::uint64_t stream, const std::array<std::uint32_t*, 4>& words) noexcept {
  avx512_isa::draw_words(seed, first, count, stream, words);
}
void draw_uniforms_avx512(std::uint64_t seed, std::uint64_t first, std::size_t count,
                          std::uint64_t stream, const std::array<double*, 2>& u) noexcept {
  avx512_isa::draw_uniforms(seed, first, count, stream, u);
}

}  // namespace detail

}  // namespace weft::par
