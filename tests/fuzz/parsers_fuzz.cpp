// Fuzz target for the text weft parses from its users: dataset names (FILE:/path#field),
// shapes (8192x8192), job specs (TOML) and result records (JSON). The first byte picks the
// parser; the rest is the text. Bad text must end in one of weft's own errors (a usage,
// input or spec error with a one-line message); anything else (another exception, a
// crash, a sanitizer report, a message of several lines) is a finding.
//
// Built with libFuzzer by the fuzz preset (`make fuzz-parsers`, clang-14); in every other
// build, tests/fuzz/replay_main.cpp runs it over tests/fuzz/corpus (seeds and every
// finding kept as a regression input), as the test fuzz.parsers.replay.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "launch/spec.hpp"
#include "weft/base/error.hpp"
#include "weft/base/json.hpp"
#include "weft/base/record.hpp"
#include "weft/core/shape.hpp"
#include "weft/io/file.hpp"

namespace {

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what);
  std::abort();
}

void one_line(std::string_view message) {
  if (message.empty()) finding("an error without a message");
  if (message.find('\n') != std::string_view::npos) finding("an error message of several lines");
}

// A parsed name prints back as text that parses to the same name.
void dataset_name(const std::string& text, bool path_required) {
  const weft::io::dataset_ref r = weft::io::parse_dataset_ref(text, "--input", path_required);
  if (r.file.empty()) finding("an empty file name was accepted");
  if (!r.path.empty()) {
    if (r.path.front() != '/') finding("a dataset path that does not start with '/'");
    if (r.path.find("//") != std::string::npos) finding("a path with an empty component");
    const auto again = weft::io::parse_dataset_ref(r.text(), "--input", path_required);
    if (again.file != r.file || again.path != r.path || again.field != r.field) {
      finding("FILE:/path#field does not read back as itself");
    }
  }
  for (const auto& f : r.field) {
    if (f.empty()) finding("an empty field name was accepted");
  }
}

void shape(const std::string& text) {
  const weft::extents e = weft::parse_extents(text, "--shape", 32);
  if (e.empty() || e.size() > 32) finding("a shape with no axes or too many");
  for (const auto n : e) {
    if (n < 1) finding("a shape with an axis below 1");
  }
  if (weft::parse_extents(weft::to_string(e), "--shape", 32) != e) {
    finding("a shape does not read back as itself");
  }
}

void spec(const std::string& text) {
  (void)weft::launch::parse_spec(text, "fuzz.toml");
}

void result_record(const std::string& text) {
  const weft::json j = weft::json::parse(text, nullptr, false);
  if (j.is_discarded()) return;  // not JSON: the JSON library's own concern
  (void)weft::record::from_json(j, "fuzz.json");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 5) {
      case 0:
        dataset_name(text, true);
        break;
      case 1:
        dataset_name(text, false);
        break;
      case 2:
        shape(text);
        break;
      case 3:
        spec(text);
        break;
      default:
        result_record(text);
        break;
    }
  } catch (const weft::error& e) {
    one_line(e.what());
  } catch (const weft::launch::spec_error& e) {
    one_line(e.what());
  }
  return 0;
}
