#include "launch/shell.hpp"

#include <algorithm>
#include <cctype>

namespace weft::launch {

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string shell_word(const std::string& text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  });
  return plain ? text : shell_quote(text);
}

std::string shell_line(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += shell_word(w);
  }
  return out;
}

bool has_control_chars(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

bool is_sbatch_value(const std::string& text) {
  return !text.empty() && !has_control_chars(text) &&
         std::none_of(text.begin(), text.end(),
                      [](char c) { return c == ' ' || c == '\'' || c == '"' || c == '\\'; });
}

}  // namespace weft::launch
