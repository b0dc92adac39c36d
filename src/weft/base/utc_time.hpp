// utc_time: the current time in UTC, formatted by strftime. Free of MPI, so that the
// launch layer and the report (which never link MPI) share it with the library.
#pragma once

#include <ctime>
#include <string>

namespace weft {

// ISO 8601 by default, e.g. 2026-11-25T13:34:20Z.
[[nodiscard]] inline std::string utc_time(const char* format = "%Y-%m-%dT%H:%M:%SZ") {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  const std::size_t n = std::strftime(text, sizeof(text), format, &tm);
  return {text, n};
}

}  // namespace weft
