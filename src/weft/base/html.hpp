// html_escape: text made safe to stand in HTML, in an element or a quoted attribute. Free
// of MPI; the report and the compare page use it.
#pragma once

#include <string>

namespace weft {

[[nodiscard]] inline std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace weft
