// WEFT_SIMD_CLONES: build a function three times, for AVX-512 (F), for AVX2 (+FMA where
// the code allows) and for the build's baseline, and pick one when the program loads
// (GCC's target_clones). A portable build (WEFT_PORTABLE) thus still runs its hot loops
// with the widest vectors the CPU has; a build for the host (-march=native, the default)
// has them as its baseline already. Clang does not clone function templates, so with
// Clang (the lint's clang-tidy, the ThreadSanitizer build) it expands to nothing and the
// baseline code is built.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define WEFT_SIMD_CLONES [[gnu::target_clones("avx512f", "avx2", "default")]]
#else
#define WEFT_SIMD_CLONES
#endif
