// The data caches of the CPU this process runs on, as the C library (CPUID) or Linux
// (/sys/devices/system/cpu/cpu0/cache) reports them, so that block and slab sizes follow the
// machine at hand rather than constants tuned on one CPU.
#pragma once

#include <cstddef>

namespace weft {

// Bytes of the level-`level` data (or unified) cache of one core, or `fallback` where the
// system does not say. Read once per process.
std::size_t cache_bytes(int level, std::size_t fallback);

}  // namespace weft
