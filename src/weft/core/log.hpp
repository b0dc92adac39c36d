// Rank-aware logging to stderr/stdout.
//
// By default only rank 0 speaks; set_all_ranks(true) lets every rank print, each line
// prefixed with "[rank R] ". Lines are written whole (one write per line), so ranks do
// not interleave within a line. Verbosity: error < warn < info < debug. Errors and
// warnings go to stderr (errors from every rank), the rest to stdout. The environment
// variable WEFT_LOG sets the start values, e.g. WEFT_LOG=debug,all-ranks.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace weft::log {

enum class level { error = 0, warn = 1, info = 2, debug = 3 };

void set_level(level l) noexcept;
[[nodiscard]] level current_level() noexcept;
void set_all_ranks(bool all) noexcept;
[[nodiscard]] bool all_ranks() noexcept;

// Writes one line at `l` if this rank should speak.
void write(level l, std::string_view text);

template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(level::error, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  write(level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  write(level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (current_level() >= level::debug)
    write(level::debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace weft::log
