// weft's error types and exit codes, free of MPI.
//
// Every failure weft reports is a weft::error carrying an exit code from the table in
// docs/architecture.md (1 run failed, 2 usage, 3 bad input data, 75 stopped on request).
// The type says which kind of failure it is: a usage_error is a bad command line,
// parameter or job spec; an input_error is bad input data; any other error is a failed
// run. Callers tell them apart by type, never by parsing the text.
//
// An error is "collective" when every rank of the world communicator is known to hold
// the same error (the ranks agreed on it); the top level then exits cleanly on every rank
// instead of aborting the job. Outside MPI (the launch layer, the report) the flag is
// meaningless and stays false.
#pragma once

#include <stdexcept>
#include <string>

namespace weft {

enum class exit_code : int {
  success = 0,
  run_failed = 1,
  usage = 2,
  bad_input = 3,
  interrupted = 75,
};

// `text` as one line: control characters (a newline in a file name or in a quoted
// argument, say) become escapes such as \n, \t and \x01. Every error message is made of
// it, so a message is always the one line the user reads.
[[nodiscard]] inline std::string one_line(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  static constexpr char hex[] = "0123456789abcdef";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

class error : public std::runtime_error {
 public:
  explicit error(const std::string& message, exit_code code = exit_code::run_failed,
                 bool collective = false)
      : std::runtime_error(one_line(message)), code_(code), collective_(collective) {}

  [[nodiscard]] exit_code code() const noexcept { return code_; }
  // True when every rank holds this same error, so no rank is left waiting.
  [[nodiscard]] bool collective() const noexcept { return collective_; }

 private:
  exit_code code_;
  bool collective_;
};

// A bad command line, parameter or job spec (exit 2).
class usage_error : public error {
 public:
  explicit usage_error(const std::string& message, bool collective = false)
      : error(message, exit_code::usage, collective) {}
};

// Bad input data: missing file, not HDF5 or not a record, wrong shape or type (exit 3).
class input_error : public error {
 public:
  explicit input_error(const std::string& message, bool collective = false)
      : error(message, exit_code::bad_input, collective) {}
};

// The process exit status of an exit code.
[[nodiscard]] constexpr int to_int(exit_code c) noexcept {
  return static_cast<int>(c);
}

}  // namespace weft
