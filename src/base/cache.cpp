#include "weft/base/cache.hpp"

#include <array>
#include <cctype>
#include <fstream>
#include <string>

#include <unistd.h>

namespace weft {

namespace {

std::string read_word(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  in >> word;
  return word;
}

// "48K", "1024K", "32M" or plain bytes.
std::size_t parse_size(const std::string& text) {
  std::size_t value = 0;
  std::size_t k = 0;
  while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k])) != 0) {
    value = value * 10 + static_cast<std::size_t>(text[k] - '0');
    ++k;
  }
  if (k < text.size()) {
    const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text[k])));
    if (unit == 'K') value <<= 10;
    if (unit == 'M') value <<= 20;
    if (unit == 'G') value <<= 30;
  }
  return value;
}

std::array<std::size_t, 4> read_caches() {
  std::array<std::size_t, 4> sizes{};
  // glibc answers from CPUID on x86, which also works where a VM hides /sys's cache list.
  const std::array<long, 4> asked{0, sysconf(_SC_LEVEL1_DCACHE_SIZE),
                                  sysconf(_SC_LEVEL2_CACHE_SIZE), sysconf(_SC_LEVEL3_CACHE_SIZE)};
  bool complete = true;
  for (std::size_t l = 1; l < 4; ++l) {
    sizes[l] = asked[l] > 0 ? static_cast<std::size_t>(asked[l]) : 0;
    complete = complete && sizes[l] > 0;
  }
  if (complete) return sizes;
  const std::string base = "/sys/devices/system/cpu/cpu0/cache/index";
  for (int index = 0; index < 8; ++index) {
    const std::string dir = base + std::to_string(index) + "/";
    const std::string level = read_word(dir + "level");
    if (level.empty()) break;
    const std::string type = read_word(dir + "type");
    const int l = level[0] - '0';
    if (type == "Instruction" || l < 1 || l > 3) continue;
    auto& size = sizes[static_cast<std::size_t>(l)];
    if (size == 0) size = parse_size(read_word(dir + "size"));
  }
  return sizes;
}

}  // namespace

std::size_t cache_bytes(int level, std::size_t fallback) {
  static const std::array<std::size_t, 4> sizes = read_caches();
  if (level < 1 || level > 3) return fallback;
  const std::size_t s = sizes[static_cast<std::size_t>(level)];
  return s > 0 ? s : fallback;
}

}  // namespace weft
