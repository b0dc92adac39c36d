// WEFT_AVX2_CLONES: build a function twice, for AVX2 (+FMA where the code allows) and for
// the baseline ISA, and pick one when the program loads (GCC's target_clones). Clang does
// not clone function templates, so with Clang (the lint's clang-tidy) it expands to
// nothing and the baseline code is analysed.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define WEFT_AVX2_CLONES [[gnu::target_clones("avx2", "default")]]
#else
#define WEFT_AVX2_CLONES
#endif
